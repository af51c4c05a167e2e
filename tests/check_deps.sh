#!/usr/bin/env bash
# The dependency rule (STYLE.md): common/ includes nothing from a stage; a stage includes
# common/, its own folder and generated schemas only, never another stage.
set -u
cd "$(dirname "$0")/.."
stages="extract analyze embed pack serve"
bad=0
for f in $(git ls-files 'common/*.[ch]'); do
    for s in $stages; do
        if grep -qE "#include \"$s/" "$f"; then echo "dependency rule: $f includes $s/"; bad=1; fi
    done
done
for s in $stages; do
    for f in $(git ls-files "$s/*.[ch]"); do
        for o in $stages; do
            [ "$o" = "$s" ] && continue
            if grep -qE "#include \"$o/" "$f"; then echo "dependency rule: $f includes $o/"; bad=1; fi
        done
    done
done
[ $bad = 0 ] && echo "dependency rule: ok"
exit $bad
