# SPDX-License-Identifier: MIT
#
# Doxygen INPUT_FILTER for the public headers (docs/Doxyfile): the headers
# use plain C comments, and this turns the ones that document something into
# Doxygen comments on the fly, so the API reference shows them without a
# single `/**` in the tree. Line numbers are kept, so Doxygen's warnings and
# source links still point at the right line.
#
#   awk -f scripts/doxygen-filter.awk include/ndisbuf/ndis/nbl.h
#
# What becomes documentation:
#   - the block comment right after the SPDX line: the file's description
#     (`/** \file`);
#   - a comment starting a line with a declaration on the very next line:
#     `/**`, documenting that declaration (a blank line, a preprocessor
#     conditional or a closing brace after it leaves it a plain comment);
#   - a comment after a member, enumerator, declaration or #define on the
#     same line: `/**<`.
# Section rulers (`/* ---- pools ---- */`) and the SPDX line stay plain.
# Inside a converted comment, the characters Doxygen would read as commands
# or HTML (\ @ < > & # %) are escaped, except within `code spans`.

function is_blank(s) { return s ~ /^[ \t]*$/ }

# Whether line s may carry a comment's documentation: a declaration or a
# #define, not a blank, a conditional, an #include, a brace or a comment.
function documentable(s)
{
    if (is_blank(s))
        return 0
    if (s ~ /^[ \t]*#[ \t]*(if|ifdef|ifndef|else|elif|endif|include|undef|pragma|error|warning)/)
        return 0
    if (s ~ /^[ \t]*[{}]/ || s ~ /^[ \t]*\/[*\/]/)
        return 0
    return 1
}

# Escapes Doxygen's special characters in comment text, leaving code spans.
function escape(s,    out, c, i, n, in_code)
{
    out = ""
    n = length(s)
    in_code = 0
    for (i = 1; i <= n; i++) {
        c = substr(s, i, 1)
        if (c == "`")
            in_code = !in_code
        else if (!in_code && index("\\@<>&#%", c))
            c = "\\" c
        out = out c
    }
    return out
}

# Line k, inside a comment that Doxygen reads: escapes all but the comment
# delimiters. from is where the comment text starts on this line (after the
# opener), 1 for a continuation line.
function emit_doc_line(k, prefix, from,    s, text, cpos, rest)
{
    s = L[k]
    text = substr(s, from)
    cpos = index(text, "*/")
    if (cpos) {
        rest = substr(text, cpos)
        text = substr(text, 1, cpos - 1)
    } else
        rest = ""
    # A continuation line's leading " * " is Doxygen's own decoration.
    if (from == 1 && match(text, /^[ \t]*\*+[ \t]?/)) {
        prefix = prefix substr(text, 1, RLENGTH)
        text = substr(text, RLENGTH + 1)
    }
    print prefix escape(text) rest
    return cpos != 0
}

# The comment opening on line k at column col ("/*"), kind "/**" or
# "/**<" or "/** \\file": prints it and its continuation lines; returns the
# last line it used.
function emit_doc(k, col, opener,    closed)
{
    closed = emit_doc_line(k, substr(L[k], 1, col - 1) opener, col + 2)
    while (!closed && k < N) {
        k++
        closed = emit_doc_line(k, "", 1)
    }
    return k
}

# A plain comment opening on line k: printed unchanged; returns its last line.
function emit_plain(k, col)
{
    print L[k]
    if (index(substr(L[k], col + 2), "*/"))
        return k
    while (k < N && !index(L[k], "*/")) {
        k++
        print L[k]
    }
    return k
}

# The last line of the comment opening on line k.
function comment_end(k, col)
{
    if (index(substr(L[k], col + 2), "*/"))
        return k
    while (k < N && !index(L[++k], "*/"))
        ;
    return k
}

# Brace depth after each line's code (strings and comments aside, which is
# cpos enough for headers): tells a member's trailing comment from others.
{
    L[++N] = $0
    t = $0
    if (in_comment) {
        if (!index(t, "*/"))
            t = ""
        else {
            sub(/^.*\*\//, "", t)
            in_comment = 0
        }
    }
    gsub(/"([^"\\]|\\.)*"/, "", t)
    gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, "", t)
    if (sub(/\/\*.*/, "", t))
        in_comment = 1
    depth += gsub(/\{/, "{", t) - gsub(/\}/, "}", t)
    D[N] = depth
}

END {
    file_doc_done = 0
    for (k = 1; k <= N; k++) {
        s = L[k]
        col = index(s, "/*")
        if (!col || substr(s, col, 3) == "/**" || substr(s, col, 3) == "/*!") {
            print s
            continue
        }
        before = substr(s, 1, col - 1)
        if (s ~ /SPDX-License-Identifier/ || s ~ /\/\*[ \t]*----*.*----*[ \t]*\*\//) {
            k = emit_plain(k, col)
            continue
        }
        if (!is_blank(before)) {
            # After code on the same line: documents what is declared there.
            if (before ~ /[;,][ \t]*$/ || before ~ /^[ \t]*#[ \t]*define[ \t]/ ||
                (D[k] > 0 && before !~ /[{(][ \t]*$/))
                k = emit_doc(k, col, "/**<")
            else
                k = emit_plain(k, col)
            continue
        }
        end = comment_end(k, col)
        if (!file_doc_done) {
            file_doc_done = 1
            if (substr(s, col + 2) ~ /^[ \t]*$/) {
                k = emit_doc(k, col, "/** \\file")
                continue
            }
        }
        if (end < N && documentable(L[end + 1]))
            k = emit_doc(k, col, "/**")
        else
            k = emit_plain(k, col)
    }
}
