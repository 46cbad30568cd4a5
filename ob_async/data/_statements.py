"""Which SQL a check may run: one read-only statement (SELECT, SHOW, or WITH ... SELECT).

The check is lexical, on sqlglot's MySQL tokenizer (strings, quoted names and
comments are tokens of their own, so a keyword inside them does not count):
exactly one statement (a trailing semicolon is allowed), starting with SELECT,
SHOW, WITH or an opening parenthesis, and no keyword that writes, locks or
leaves the statement (INSERT, UPDATE, DELETE, REPLACE, CREATE, ALTER, DROP,
TRUNCATE, RENAME, GRANT, REVOKE, LOCK, CALL, SET, INTO ..., FOR UPDATE).
A lexical rule refuses some harmless SQL rather than parse every dialect's
grammar; the checks also run inside a read-only transaction, so a statement
that slipped through still cannot write.
"""

from __future__ import annotations

from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import TokenError
from sqlglot.tokenizer_core import Token, TokenType

MAX_SQL_LENGTH = 64 * 1024

_STARTS = {TokenType.SELECT, TokenType.SHOW, TokenType.WITH, TokenType.L_PAREN}
_WRITES = {TokenType.DELETE, TokenType.UPDATE, TokenType.INSERT, TokenType.REPLACE, TokenType.MERGE}

_TOKENIZER = MySQL().tokenizer_class()


def read_only_problem(sql: str) -> str | None:
    """Why ``sql`` is not one read-only statement, or None when it is."""
    if not isinstance(sql, str) or not sql.strip() or len(sql) > MAX_SQL_LENGTH:
        return (
            "is empty"
            if not str(sql).strip()
            else f"is not text of {MAX_SQL_LENGTH} characters or less"
        )
    try:
        tokens = _TOKENIZER.tokenize(sql)
    except TokenError as error:
        return f"cannot be read as SQL: {error}"
    while tokens and tokens[-1].token_type is TokenType.SEMICOLON:
        tokens.pop()
    if not tokens:
        return "has no statement"
    if any(token.token_type is TokenType.SEMICOLON for token in tokens):
        return "holds more than one statement (only a single statement is allowed)"
    if tokens[0].token_type not in _STARTS:
        return (
            f"starts with {tokens[0].text!r}: only a single SELECT, SHOW or WITH "
            "statement is allowed"
        )
    return _locking_problem(tokens) or _cte_body_problem(tokens)


def _locking_problem(tokens: list[Token]) -> str | None:
    """SELECT ... INTO writes; FOR UPDATE, FOR SHARE and LOCK IN SHARE MODE take locks."""
    for number, token in enumerate(tokens):
        following = tokens[number + 1].text.upper() if number + 1 < len(tokens) else ""
        if token.token_type is TokenType.INTO:
            return "uses INTO: a check may only read, not write its result anywhere"
        if token.token_type is TokenType.LOCK or (
            token.token_type is TokenType.FOR and following in ("UPDATE", "SHARE")
        ):
            return "takes locks (FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE): a check only reads"
    return None


def _cte_body_problem(tokens: list[Token]) -> str | None:
    """WITH may lead a DELETE, UPDATE or INSERT: the statement after the CTEs must be SELECT."""
    if tokens[0].token_type is not TokenType.WITH:
        return None
    depth = 0
    for token in tokens[1:]:
        if token.token_type is TokenType.L_PAREN:
            depth += 1
        elif token.token_type is TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and token.token_type is TokenType.SELECT:
            return None
        elif depth == 0 and token.token_type in _WRITES:
            return f"is a WITH ... {token.text.upper()}: a check may only read"
    return "is a WITH without a SELECT after its common table expressions"
