package bcflow_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/bcflow/bcflow"

// room is one row of docs/architecture.md's "who may import whom" table.
type room struct {
	packages   []string // module-relative paths; each covers its subpackages
	everything bool     // "everything": any bcflow package
	may        []string // the bcflow packages it may import (and their subpackages)
}

var (
	backticked    = regexp.MustCompile("`([^`]+)`")
	parenthesised = regexp.MustCompile(`\([^)]*\)`)
)

// namesIn returns the backticked names of a table cell, leaving out those
// in parentheses, which comment on the name before them.
func namesIn(cell string) []string {
	var out []string
	for _, m := range backticked.FindAllStringSubmatch(parenthesised.ReplaceAllString(cell, ""), -1) {
		out = append(out, m[1])
	}
	return out
}

// architectureRooms parses the import table of docs/architecture.md, the one
// statement of which package may import which.
func architectureRooms(t *testing.T) []room {
	t.Helper()
	doc, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	var rooms []room
	inTable := false
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "| package |") {
			inTable = true
			continue
		}
		if !inTable || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if len(rooms) > 0 {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 3 {
			t.Fatalf("docs/architecture.md: import table row %q has %d cells, want 3", line, len(cells))
		}
		r := room{packages: namesIn(cells[0])}
		imports := strings.TrimSpace(cells[2])
		switch {
		case imports == "everything":
			r.everything = true
		case strings.HasPrefix(strings.Trim(imports, "*"), "none"):
		default:
			r.may = namesIn(imports)
			if len(r.may) == 0 {
				t.Fatalf("docs/architecture.md: cannot read the imports of row %q", line)
			}
		}
		if len(r.packages) == 0 {
			t.Fatalf("docs/architecture.md: row %q names no package", line)
		}
		rooms = append(rooms, r)
	}
	if len(rooms) < 5 {
		t.Fatalf("docs/architecture.md: found %d rows in the import table; has its header changed?", len(rooms))
	}
	return rooms
}

// within reports whether pkg is dir or one of its subpackages.
func within(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// roomOf returns the row whose package is the longest prefix of pkg.
func roomOf(rooms []room, pkg string) (room, string, bool) {
	var best room
	bestDir := ""
	for _, r := range rooms {
		for _, dir := range r.packages {
			if within(pkg, dir) && len(dir) > len(bestDir) {
				best, bestDir = r, dir
			}
		}
	}
	return best, bestDir, bestDir != ""
}

// TestImportsFollowArchitecture fails when a package's (non-test) imports
// of bcflow packages break docs/architecture.md's table, or when a package
// is missing from it.
func TestImportsFollowArchitecture(t *testing.T) {
	rooms := architectureRooms(t)
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{len .GoFiles}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[1] == "0" {
			continue // only test files (this package)
		}
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		r, dir, ok := roomOf(rooms, pkg)
		if !ok {
			t.Errorf("%s is not in docs/architecture.md's import table: add a row saying its job and what it may import", pkg)
			continue
		}
		checked++
		for _, imp := range fields[2:] {
			if !within(imp, module) || imp == module {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if r.everything || within(dep, dir) || slices.ContainsFunc(r.may, func(m string) bool { return within(dep, m) }) {
				continue
			}
			t.Errorf("%s imports %s, which docs/architecture.md does not allow (%s may import: %s)", pkg, dep, dir, allowed(r))
		}
	}
	if checked == 0 {
		t.Fatal("go list listed no package to check")
	}
}

func allowed(r room) string {
	if len(r.may) == 0 {
		return "none"
	}
	return strings.Join(r.may, ", ")
}

// TestArchitectureTableParses pins how the table is read, so a rewording of
// docs/architecture.md cannot silently turn the import check off.
func TestArchitectureTableParses(t *testing.T) {
	rooms := architectureRooms(t)
	workflows, dir, ok := roomOf(rooms, "workflows")
	if !ok || dir != "workflows" || workflows.everything || !slices.Contains(workflows.may, "activities") || slices.Contains(workflows.may, "store") {
		t.Errorf("workflows row read as %+v (%s)", workflows, dir)
	}
	emu, dir, ok := roomOf(rooms, "emulator/bcemu")
	if !ok || dir != "emulator" || emu.everything || len(emu.may) != 0 {
		t.Errorf("emulator/bcemu read as %+v (%s): the emulator may import no bcflow package", emu, dir)
	}
	if cmd, _, ok := roomOf(rooms, "cmd/bcflow"); !ok || !cmd.everything {
		t.Errorf("cmd/bcflow read as %+v: it may import everything", cmd)
	}
}
