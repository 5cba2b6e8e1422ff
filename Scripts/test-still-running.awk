# The tests a killed `swift test` pass had started and not finished, from its full log (Scripts/test.sh
# runs it when a pass runs past its limit). Parameterised tests count once: their cases' own lines
# are skipped, and their end line ("… with N test cases passed") names them without the count.
/^◇ Test run started/ || /^◇ Test case / || / recorded an issue/ { next }
/^◇ Test .* started\.$/ {
    name = $0; sub(/^◇ Test /, "", name); sub(/ started\.$/, "", name)
    order[n++] = name; next
}
/^(✔|✘|➜) Test .* (passed|failed|skipped)/ {
    name = $0; sub(/^(✔|✘|➜) Test /, "", name); sub(/ with [0-9]+ test cases? .*$/, "", name)
    sub(/ (passed|failed|skipped).*$/, "", name); done[name] = 1
}
END {
    for (i = 0; i < n; i++) if (!(order[i] in done)) { print "    " order[i]; left++ }
    if (!left) print "    none had started (the build was still running)"
}
