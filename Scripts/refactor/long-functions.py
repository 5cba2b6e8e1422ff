"""Lists Swift functions, initialisers and closures-bodied properties longer than a limit.
    python3 Scripts/refactor/long-functions.py [LIMIT] [FOLDER ...]   (default 60, Sources/Training Sources/Distributed Sources/Models)
A body's length counts its lines from the declaration to the closing brace. Braces inside string
literals and comments are skipped (enough for this code base's style)."""
import pathlib
import re
import sys

limit = int(sys.argv[1]) if len(sys.argv) > 1 else 60
folders = sys.argv[2:] or ["Sources/Training", "Sources/Distributed", "Sources/Models"]
declaration = re.compile(r"^\s*(?:(?:public|private|fileprivate|internal|static|override|mutating|@discardableResult|convenience|final|@inline\(__always\))\s+)*(func|init|deinit)\b")
found = 0
for folder in folders:
    for path in sorted(pathlib.Path(folder).rglob("*.swift")):
        lines = path.read_text().split("\n")
        index = 0
        while index < len(lines):
            if not declaration.match(lines[index]):
                index += 1
                continue
            depth, started, end = 0, False, index
            for end in range(index, len(lines)):
                text = re.sub(r'"(?:\\.|[^"\\])*"', '""', lines[end].split("//")[0])
                depth += text.count("{") - text.count("}")
                started = started or "{" in text
                if started and depth <= 0:
                    break
            length = end - index + 1
            if started and length > limit:
                found += 1
                print(f"{path}:{index + 1}: {length} lines: {lines[index].strip()[:90]}")
            index += 1 if not started else 1
print(f"{found} function(s) over {limit} lines")
sys.exit(1 if found else 0)
