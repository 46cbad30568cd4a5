(function () {
  var filter = document.getElementById("filter");
  var failed = document.getElementById("only-failed");
  var rows = document.querySelectorAll("#items tbody tr");
  function apply() {
    var query = filter.value.toLowerCase();
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var show = (!failed.checked || row.classList.contains("bad")) &&
        (!query || row.textContent.toLowerCase().indexOf(query) >= 0);
      row.hidden = !show;
    }
  }
  filter.addEventListener("input", apply);
  failed.addEventListener("change", apply);
})();
