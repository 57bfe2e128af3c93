#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Lists the NDIS names ndisbuf's <ndis.h> declares, one per line:
#
#   scripts/ndis-calls-list.sh [INCLUDE_DIR]     (default: include/ndisbuf)
#
#   <kind> <name> <header>
#
# kinds:
#   function   a function declared or defined (static inline) in a header
#   macro      a function-like macro:              #define NdisQueryMdl(...) ...
#   alias      an object-like macro with a lower-case letter in its name,
#              which is how the WDK spells calls and named values:
#              #define NdisZeroMemory RtlZeroMemory
#   constant   an object-like macro in capitals:    #define NDIS_STATUS_SUCCESS ...
#   sal        a SAL annotation or other name starting with '_' (_In_, _Out_opt_)
#
# Scanned: <ndis.h> and ndis/*.h under INCLUDE_DIR (not ndisbuf.h, whose
# ndisbuf_* / NDISBUF_* names are the native extensions). Left out: include
# guards, ndisbuf's own helper macros (NDISBUF_*, ndisbuf_*), types (structs,
# typedefs, role typedefs) and enum members. Comments are removed first by
# the C preprocessor (gcc -fpreprocessed), which expands nothing.
#
# docs/ndis-calls.md gives each name its status; tests/tools/ndis_calls.sh
# checks the page against this list.
set -euo pipefail

dir=${1:-include/ndisbuf}
if [ ! -f "$dir/ndis.h" ]; then
    echo "ndis-calls-list.sh: no $dir/ndis.h" >&2
    exit 2
fi
cc=${CC:-cc}

for h in "$dir/ndis.h" "$dir"/ndis/*.h; do
    rel=${h#"$dir"/}
    "$cc" -w -fpreprocessed -dD -E -P -x c "$h" | perl -e '
        use strict; use warnings;
        my $file = shift;
        local $/; my $src = <STDIN>;
        $src =~ s/\\\n/ /g;                 # join continued lines
        my (@code, $skip);
        for my $line (split /\n/, $src) {
            # C++-only lines (extern "C" { ... }) would upset the brace depth.
            if ($line =~ /^\s*#\s*if(def)?\s+(defined\s*\(?\s*)?__cplusplus/) { $skip = 1; next; }
            if ($skip) { $skip = 0 if $line =~ /^\s*#\s*(endif|else)/; next; }
            if ($line =~ /^\s*#\s*define\s+([A-Za-z_]\w*)(\()?(.*)$/) {
                my ($name, $paren, $body) = ($1, $2, $3);
                next if $name =~ /^(NDISBUF_|ndisbuf_)/;
                next if $name =~ /_H_?$/ && $body =~ /^\s*$/;   # include guard
                my $kind = $name =~ /^_/ ? "sal"
                         : $paren ? "macro"
                         : $name =~ /[a-z]/ ? "alias" : "constant";
                print "$kind $name $file\n";
                next;
            }
            next if $line =~ /^\s*#/;
            push @code, $line;
        }
        # Top-level statements: a declaration "TYPE Name(...)" ending in ";"
        # or "{" (an inline definition) names a function.
        my $text = join("\n", @code);
        my ($depth, $stmt) = (0, "");
        for my $ch (split //, $text) {
            if ($depth > 0) {
                $depth++ if $ch eq "{";
                $depth-- if $ch eq "}";
                next;
            }
            if ($ch eq ";" || $ch eq "{") {
                my $s = $stmt; $stmt = "";
                $depth = 1 if $ch eq "{";
                $s =~ s/^\s+//;
                next if $s =~ /^(typedef|struct|union|enum|_Static_assert|static_assert)\b/ && $s !~ /^static\b/;
                if ($s =~ /^[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\s*\(/s) {
                    my $name = $1;
                    next if $name =~ /^(NDISBUF_|ndisbuf_|_)/;
                    print "function $name $file\n";
                }
                next;
            }
            $stmt .= $ch;
        }
    ' "$rel"
done | sort -k2,2 -k1,1 -u
