(function () {
  var table = document.getElementById("items");
  var filter = document.getElementById("filter");
  var failed = document.getElementById("only-failed");
  var heads = table.tHead.rows[0].cells;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  function apply() {
    var query = filter.value.toLowerCase();
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var show = (!failed.checked || row.classList.contains("bad")) &&
        (!query || row.textContent.toLowerCase().indexOf(query) >= 0);
      row.hidden = !show;
    }
  }
  function key(row, column) {
    var cell = row.cells[column];
    var value = cell.getAttribute("data-sort");
    return value === null ? cell.textContent.trim().toLowerCase() : value;
  }
  function sortBy(column) {
    var head = heads[column];
    var direction = head.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var sign = direction === "ascending" ? 1 : -1;
    var numeric = head.hasAttribute("data-numeric");
    for (var h = 0; h < heads.length; h++) heads[h].removeAttribute("aria-sort");
    head.setAttribute("aria-sort", direction);
    rows.sort(function (a, b) {
      var x = key(a, column), y = key(b, column), order = 0;
      if (x === "" || y === "") {
        order = (x === "") - (y === "");  // no value: last, either way
        if (order) return order;
      } else if (numeric) {
        order = sign * (parseFloat(x) - parseFloat(y));
      } else {
        order = sign * (x < y ? -1 : x > y ? 1 : 0);
      }
      return order || (+a.getAttribute("data-order")) - (+b.getAttribute("data-order"));
    });
    var bodies = table.tBodies, sizes = [], b, next = 0;
    for (b = 0; b < bodies.length; b++) sizes.push(bodies[b].rows.length);
    for (b = 0; b < bodies.length; b++) {
      for (var n = 0; n < sizes[b]; n++) bodies[b].appendChild(rows[next++]);
    }
  }
  for (var c = 0; c < heads.length; c++) {
    (function (column) {
      heads[column].querySelector("button").addEventListener("click", function () {
        sortBy(column);
      });
    })(c);
  }
  filter.addEventListener("input", apply);
  failed.addEventListener("change", apply);
})();
