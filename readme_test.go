package bcflow_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bcflow/bcflow/config"
	"github.com/bcflow/bcflow/workflows"
)

// TestREADMEListsEveryVariable keeps README's configuration table true.
func TestREADMEListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range (*config.Config)(nil).Describe() {
		if !strings.Contains(string(readme), "| `"+s.Name+"` |") {
			t.Errorf("README's configuration table lacks %s (%s)", s.Name, s.Description)
		}
	}
	for _, cmd := range []string{"go run ./cmd/bcflow dev", "scripts/test"} {
		if !strings.Contains(string(readme), cmd) {
			t.Errorf("README lacks the command %q", cmd)
		}
	}
}

// readme returns README.md.
func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readmeShellLines returns the lines of README's ```sh blocks.
func readmeShellLines(t *testing.T) []string {
	t.Helper()
	var out []string
	in := false
	for line := range strings.Lines(readme(t)) {
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "```sh":
			in = true
		case in && line == "```":
			in = false
		case in && strings.TrimSpace(line) != "":
			out = append(out, line)
		}
	}
	return out
}

// readmeInlineCommands returns README's inline code that starts with prefix
// (`bcflow …`, `go test …`), as written.
func readmeInlineCommands(t *testing.T, prefix string) []string {
	t.Helper()
	var out []string
	for _, m := range regexp.MustCompile("`("+regexp.QuoteMeta(prefix)+"[^`]*)`").FindAllStringSubmatch(readme(t), -1) {
		out = append(out, strings.ReplaceAll(m[1], `\|`, "|"))
	}
	return out
}

// TestREADMEBenchmarksExist: every `go test ./pkg … -bench X` README shows
// names a package and benchmarks that exist (running them is for people:
// speed is never asserted in CI).
func TestREADMEBenchmarksExist(t *testing.T) {
	benchRE := regexp.MustCompile(`-bench '?([^' ]+)'?`)
	cmds := readmeInlineCommands(t, "go test ")
	if len(cmds) < 4 {
		t.Fatalf("found %d go test commands in README; has the Performance table moved?", len(cmds))
	}
	for _, cmd := range cmds {
		fields := strings.Fields(cmd)
		pkg := fields[2]
		m := benchRE.FindStringSubmatch(cmd)
		if m == nil {
			t.Errorf("%q: no -bench", cmd)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(pkg, "*_test.go"))
		if len(files) == 0 {
			t.Errorf("%q: package %s has no tests", cmd, pkg)
			continue
		}
		var src strings.Builder
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
		top := strings.Split(m[1], "/")[0]
		re, err := regexp.Compile(`func Benchmark\w*` + strings.TrimSuffix(top, ".") + `\w*\(`)
		if top == "." {
			re = regexp.MustCompile(`func Benchmark\w*\(`)
		}
		if err != nil || !re.MatchString(src.String()) {
			t.Errorf("%q: no benchmark in %s matches %q", cmd, pkg, m[1])
		}
	}
}

// TestREADMESearchAttributes keeps README's search attributes and BcFlow
// values equal to the code's.
func TestREADMESearchAttributes(t *testing.T) {
	text := readme(t)
	attrs := workflows.SearchAttributes()
	for name := range attrs {
		if !strings.Contains(text, "`"+name+"`") {
			t.Errorf("README does not list the search attribute %s", name)
		}
	}
	if want := fmt.Sprintf("bcflow uses %d.", len(attrs)); !strings.Contains(text, want) {
		t.Errorf("README should say %q", want)
	}

	// Every Flow* constant of workflows is a BcFlow value, and so is the
	// doctor's "diagnostics".
	values := map[string]bool{"diagnostics": true}
	fset := token.NewFileSet()
	files, _ := filepath.Glob("workflows/*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !regexp.MustCompile(`^Flow[A-Z]`).MatchString(n.Name) || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						values[v] = true
					}
				}
			}
		}
	}
	if len(values) < 5 {
		t.Fatalf("found only %v as flow names in workflows/", values)
	}
	listed := map[string]bool{}
	table := text[strings.Index(text, "| `BcFlow` |"):]
	table = table[:strings.Index(table, "\n\n")]
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| ").FindAllStringSubmatch(table, -1) {
		listed[m[1]] = true
	}
	for v := range values {
		if !listed[v] {
			t.Errorf("README's BcFlow table lacks %q", v)
		}
	}
	for v := range listed {
		if !values[v] {
			t.Errorf("README's BcFlow table lists %q, which no flow uses", v)
		}
	}
}

// TestREADMELayoutListsEachPackageOnce: one row, one description.
func TestREADMELayoutListsEachPackageOnce(t *testing.T) {
	text := readme(t)
	layout := text[strings.Index(text, "## Layout"):]
	layout = layout[:strings.Index(layout, "\n## ")]
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z/]+)` \\|").FindAllStringSubmatch(layout, -1) {
		if seen[m[1]] {
			t.Errorf("README's layout lists %s twice", m[1])
		}
		seen[m[1]] = true
	}
	if len(seen) < 10 {
		t.Fatalf("README's layout lists %d packages; has it moved?", len(seen))
	}
}

// bcflowBinary returns the bcflow binary: $BCFLOW_BIN (scripts/test builds
// it once), else one built here.
func bcflowBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the bcflow binary")
	}
	if bin := os.Getenv("BCFLOW_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "bcflow")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/bcflow").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/bcflow: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// runBcflow runs the binary with env added to a clean environment (no
// BCFLOW_ variable of the caller leaks in) and returns its exit code and
// output.
func runBcflow(t *testing.T, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("bcflow %v: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BCFLOW_") && !strings.HasPrefix(kv, "TEMPORAL_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	return out
}

// TestREADMECommands runs what README's command table shows: every command
// answers -h with the flags README gives it, and those that need no
// outside service run for real.
func TestREADMECommands(t *testing.T) {
	bin := bcflowBinary(t)
	flagRE := regexp.MustCompile(`\[(-[a-z][a-z-]*)`)
	cmds := readmeInlineCommands(t, "bcflow ")
	named := map[string]bool{}
	for _, cmd := range cmds {
		fields := strings.Fields(cmd)
		if len(fields) < 2 || strings.Contains(fields[1], "-") && !strings.HasPrefix(fields[1], "-") {
			continue // bcflow-loyalty-birthdays and the like are not commands
		}
		name := fields[1]
		if named[cmd] {
			continue
		}
		named[cmd] = true
		code, _, stderr := runBcflow(t, bin, nil, name, "-h")
		if code != 0 || !strings.Contains(stderr, "Usage: bcflow "+name) {
			t.Errorf("%q: `bcflow %s -h` exited %d: %s", cmd, name, code, stderr)
			continue
		}
		for _, m := range flagRE.FindAllStringSubmatch(cmd, -1) {
			if !strings.Contains(stderr, "  "+m[1]+" ") && !strings.Contains(stderr, "  "+m[1]+"\n") {
				t.Errorf("%q: README shows %s, which `bcflow %s -h` does not list:\n%s", cmd, m[1], name, stderr)
			}
		}
	}
	if len(named) < 10 {
		t.Fatalf("found %d bcflow commands in README", len(named))
	}

	data := t.TempDir()
	env := []string{"BCFLOW_DATA_DIR=" + data}
	if code, out, stderr := runBcflow(t, bin, env, "flows", "check", "config/flows.default.yaml"); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("bcflow flows check config/flows.default.yaml: %d %s%s", code, out, stderr)
	}
	if code, out, stderr := runBcflow(t, bin, env, "version"); code != 0 || !strings.HasPrefix(out, "bcflow ") {
		t.Errorf("bcflow version: %d %s%s", code, out, stderr)
	}
	if code, out, stderr := runBcflow(t, bin, env, "migrate"); code != 0 || !strings.Contains(out, "migration(s) applied") {
		t.Errorf("bcflow migrate: %d %s%s", code, out, stderr)
	}

	// bcflow config prints what dev runs with, not production's defaults.
	code, out, stderr := runBcflow(t, bin, append(env, "BCFLOW_DEV_EMULATOR_ADDR=127.0.0.1:8090"), "config")
	if code != 0 {
		t.Fatalf("bcflow config: %d %s", code, stderr)
	}
	norm := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"BCFLOW_BC_STORE_HASH bcflowdev ", "BCFLOW_BC_API_BASE_URL http://127.0.0.1:8090 ", "BCFLOW_BREVO_BASE_URL http://127.0.0.1:8090/v3 "} {
		if !strings.Contains(norm, want) {
			t.Errorf("bcflow config should show dev's %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "https://api.bigcommerce.com") || !regexp.MustCompile(`BCFLOW_ADMIN_TOKEN\s+\[redacted\]`).MatchString(out) {
		t.Errorf("bcflow config in dev mode shows production defaults:\n%s", out)
	}

	// A bad mode: one prefix, and the same modes as -h.
	code, _, stderr = runBcflow(t, bin, env, "config", "-mode", "nope")
	if code != 2 || strings.Contains(stderr, "config: config:") || !strings.HasPrefix(stderr, "bcflow config: ") {
		t.Errorf("bcflow config -mode nope: exit %d, %q", code, stderr)
	}
	_, _, help := runBcflow(t, bin, env, "config", "-h")
	for _, m := range config.Modes {
		if !strings.Contains(stderr, string(m)) || !strings.Contains(help, string(m)) {
			t.Errorf("mode %s missing from the error %q or from -h %q", m, stderr, help)
		}
	}
}

// TestREADMEDevScript runs `bcflow dev` and the shell lines README shows
// against it (on free ports: README's are rewritten to them), then the
// commands README runs beside dev.
func TestREADMEDevScript(t *testing.T) {
	bin := bcflowBinary(t)
	apiAddr, emuAddr := freeAddr(t), freeAddr(t)
	_, temporalPort, _ := net.SplitHostPort(freeAddr(t))
	_, uiPort, _ := net.SplitHostPort(freeAddr(t))
	env := append(cleanEnv(), "BCFLOW_DATA_DIR="+t.TempDir(), "BCFLOW_HTTP_ADDR="+apiAddr, "BCFLOW_DEV_EMULATOR_ADDR="+emuAddr,
		"BCFLOW_DEV_TEMPORAL_PORT="+temporalPort, "BCFLOW_DEV_UI_PORT="+uiPort)

	lines := readmeShellLines(t)
	var devCmd string
	var script []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "go run ./cmd/bcflow "):
			devCmd = strings.TrimPrefix(l, "go run ./cmd/bcflow ")
		case strings.HasPrefix(l, "scripts/"):
			if st, err := os.Stat(l); err != nil || st.Mode()&0o111 == 0 {
				t.Errorf("README runs %s, which is not an executable file", l)
			}
		default:
			script = append(script, l)
		}
	}
	if devCmd != "dev" || len(script) < 4 {
		t.Fatalf("README's shell blocks changed: dev command %q, script %q", devCmd, script)
	}

	dev := exec.Command(bin, devCmd)
	dev.Env = env
	stdout, err := dev.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	dev.Stderr = &stderr
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = dev.Process.Signal(os.Interrupt)
		if err := dev.Wait(); err != nil {
			t.Errorf("bcflow dev did not stop cleanly: %v\n%s", err, stderr.String())
		}
	}()
	ready := make(chan string, 1)
	go func() {
		var banner strings.Builder
		sc := bufio.NewScanner(stdout)
		after := -1 // lines read after "Try it:", its three commands
		for sc.Scan() {
			banner.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "Try it:") {
				after = 0
			} else if after >= 0 {
				if after++; after == 3 {
					ready <- banner.String()
				}
			}
		}
		close(ready)
	}()
	banner, ok := <-ready
	if !ok {
		t.Fatalf("bcflow dev exited before it was ready:\n%s", stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if strings.Contains(banner, "\n  open ") || !strings.Contains(banner, "\n  echo ") {
		t.Errorf("the dev banner uses macOS's open:\n%s", banner)
	}

	rewrite := strings.NewReplacer("localhost:8090", emuAddr, "localhost:8080", apiAddr)
	sh := "set -euo pipefail\n"
	for i, l := range script {
		sh += rewrite.Replace(l) + "\n"
		if i == 0 {
			sh += "test -n \"$C\"\n"
		}
		sh += "echo\n"
	}
	out, err := exec.Command("bash", "-c", sh).CombinedOutput()
	if err != nil {
		t.Fatalf("README's shell lines failed: %v\n%s\n%s", err, sh, out)
	}
	if !strings.Contains(string(out), `"messages"`) && !strings.Contains(string(out), "[") {
		t.Errorf("the Brevo messages curl answered no list:\n%s", out)
	}
	if !strings.Contains(string(out), `"decisions":`) {
		t.Errorf("the timeline curl answered no decisions:\n%s", out)
	}

	// What README runs beside dev.
	tool := []string{"TEMPORAL_ADDRESS=127.0.0.1:" + temporalPort, "BCFLOW_HTTP_ADDR=" + apiAddr, "BCFLOW_DATA_DIR=" + t.TempDir()}
	if code, out, errOut := runBcflow(t, bin, tool, "healthcheck", "http://"+apiAddr+"/healthz"); code != 0 {
		t.Errorf("bcflow healthcheck: %d %s%s", code, out, errOut)
	}
	if code, out, errOut := runBcflow(t, bin, tool, "doctor"); code != 0 || !strings.HasPrefix(out, "ok:") {
		t.Errorf("bcflow doctor: %d %s%s", code, out, errOut)
	}
	if code, out, errOut := runBcflow(t, bin, tool, "load", "-n", "20", "-c", "2"); code != 0 {
		t.Errorf("bcflow load -n 20 -c 2: %d %s%s", code, out, errOut)
	}
}

// TestREADMEGuaranteesNameRealTests: every test README's "What bcflow
// guarantees" names as proof exists, so a renamed or deleted test cannot
// leave a guarantee unproved on paper.
func TestREADMEGuaranteesNameRealTests(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## What bcflow guarantees")
	if start < 0 {
		t.Fatal(`README has no "What bcflow guarantees" section`)
	}
	section = section[start+3:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	named := regexp.MustCompile("`(?:[a-z0-9]+/)?((?:Test|Fuzz)[A-Za-z0-9]+)`").FindAllStringSubmatch(section, -1)
	if len(named) < 10 {
		t.Fatalf("the guarantees name %d tests; expected one or more per guarantee", len(named))
	}
	defined := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil {
				defined[fn.Name.Name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range named {
		if !defined[m[1]] {
			t.Errorf("README's guarantees cite %s, which no test file defines", m[1])
		}
	}
}
