# Joins the ```cpp blocks of one Markdown file into one C++ program, so that a ctest entry can compile
# and run what the page shows. A page's blocks are read as one program in the order they appear:
#   - `#include` and `using namespace` lines go to the top (once each);
#   - a block whose first code line starts a declaration (class, struct, namespace, template, enum) or
#     that defines `main` stays at namespace scope;
#   - every other block is a run of statements, placed in order inside `int main()`.
# Usage: awk -f snippets.awk page.md > page.cpp
function flush(    i, first, global) {
  first = ""
  for (i = 1; i <= count; ++i) {
    if (lines[i] ~ /^#include/ || lines[i] ~ /^using namespace/ || lines[i] ~ /^[ \t]*(\/\/.*)?$/) continue
    first = lines[i]
    break
  }
  global = first ~ /^(class|struct|namespace|template|enum)[ \t]/
  for (i = 1; i <= count; ++i) {
    if (lines[i] ~ /^int main\(/) { has_main = 1; global = 1 }
  }
  for (i = 1; i <= count; ++i) {
    line = lines[i]
    if (line ~ /^#include/ || line ~ /^using namespace/) {
      if (!(line in seen)) { seen[line] = 1; top = top line "\n" }
    } else if (global) {
      declarations = declarations line "\n"
    } else {
      statements = statements "  " line "\n"
    }
  }
  if (global) declarations = declarations "\n"
  count = 0
}
/^```cpp[ \t]*$/ { in_block = 1; count = 0; next }
in_block && /^```/ { in_block = 0; flush(); next }
in_block { lines[++count] = $0; next }
END {
  printf "// Generated from %s by tests/docs/snippets.awk: the page's C++ blocks as one program.\n", FILENAME
  printf "%s\n%s", top, declarations
  if (!has_main) printf "int main() {\n%s  return 0;\n}\n", statements
}
