package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong in a flows file.
type Problem struct {
	// Line in the file (1-based); 0 when unknown.
	Line int
	// Path of the field, e.g. defaults.cart_recovery.steps[1].delay.
	Path string
	// Message says what is wrong and, where possible, what is expected.
	Message string
}

// FlowsError lists every problem found in a flows file.
type FlowsError struct {
	// File is the name given to ParseFlows (the path for LoadFlows).
	File string
	// Problems in file order.
	Problems []Problem
}

// Error formats one line per problem: "file:line: path: message".
func (e *FlowsError) Error() string {
	file := e.File
	if file == "" {
		file = "flows"
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		var b strings.Builder
		b.WriteString(file)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
		if p.Path != "" {
			b.WriteString(p.Path)
			b.WriteString(": ")
		}
		b.WriteString(p.Message)
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// ParseFlows parses and validates a flows file; name is used in error
// messages. Unknown keys are errors. On failure the error is a *FlowsError
// listing every problem found.
func ParseFlows(name string, data []byte) (*Flows, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &FlowsError{File: name, Problems: []Problem{syntaxProblem(err)}}
	}
	if len(doc.Content) == 0 {
		return nil, &FlowsError{File: name, Problems: []Problem{{Line: 1, Message: "the file is empty; start from a copy of the built-in flows (config/flows.default.yaml)"}}}
	}
	d := &decoder{lines: map[string]int{}, elements: elementDefaultsOf(doc.Content[0])}
	f := &Flows{Version: 1}
	d.decode(doc.Content[0], reflect.ValueOf(f).Elem(), "")

	problems := d.problems
	decodePaths := map[string]bool{}
	for _, p := range d.problems {
		decodePaths[p.Path] = true
	}
	for _, is := range f.check() {
		p := is.Problem
		if shadowed(p.Path, decodePaths) || is.unlessInnerFailed && innerFailed(p.Path, decodePaths) {
			continue // the decoder already explained this field
		}
		if _, written := d.lines[p.Path]; is.ifWritten && !written {
			continue // a built-in default the file did not choose
		}
		p.Line = lineOf(d.lines, p.Path)
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return nil, &FlowsError{File: name, Problems: sortProblems(problems)}
	}
	return f, nil
}

// Validate checks flows built in Go (ParseFlows validates on its own). The
// error is a *FlowsError without line numbers.
func (f *Flows) Validate() error {
	var problems []Problem
	for _, is := range f.check() {
		problems = append(problems, is.Problem)
	}
	if len(problems) > 0 {
		return &FlowsError{Problems: sortProblems(problems)}
	}
	return nil
}

func sortProblems(ps []Problem) []Problem {
	seen := map[Problem]bool{}
	out := ps[:0:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		li, lj := out[i].Line, out[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	return out
}

// shadowed reports whether path or one of its parents has a decode problem.
func shadowed(path string, decodePaths map[string]bool) bool {
	for p := path; ; p = parentPath(p) {
		if decodePaths[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// innerFailed reports whether a path inside path has a decode problem.
func innerFailed(path string, decodePaths map[string]bool) bool {
	for p := range decodePaths {
		if strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			return true
		}
	}
	return false
}

// parentPath strips the last element of a.b[2].c.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndex(p, "["); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndex(p, "."); i >= 0 {
		return p[:i]
	}
	return ""
}

// lineOf finds the line of path, or of its closest parent present in the file.
func lineOf(lines map[string]int, path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := lines[p]; ok {
			return l
		}
	}
	return 0
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxProblem(err error) Problem {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Message: "invalid YAML: " + m[2]}
	}
	return Problem{Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decoder turns a yaml.Node tree into Go values like yaml.v3 would, but
// records the line of every field path and collects problems (unknown keys,
// wrong types, missing required keys) instead of stopping at the first.
type decoder struct {
	lines    map[string]int
	problems []Problem
	budget   int              // nodes visited, to bound alias expansion
	elements *ElementDefaults // the file's element_defaults
}

// elementDefaultsOf returns the element defaults a document's entries take:
// its element_defaults block, decoded before the rest of the document (its
// problems are reported when the document itself is decoded), over the
// built-in values.
func elementDefaultsOf(root *yaml.Node) *ElementDefaults {
	e := builtinElementDefaults()
	for root.Kind == yaml.AliasNode && root.Alias != nil {
		root = root.Alias
	}
	if root.Kind != yaml.MappingNode {
		return &e
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "element_defaults" {
			pre := &decoder{lines: map[string]int{}, elements: &e}
			pre.decode(root.Content[i+1], reflect.ValueOf(&e).Elem(), "element_defaults")
			break
		}
	}
	return &e
}

const maxNodes = 1_000_000

func (d *decoder) fail(line int, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

type defaulter interface{ setDefaults() }

// applyDefaults sets the defaults of a value about to be decoded.
func (d *decoder) applyDefaults(v reflect.Value) {
	if !v.CanAddr() {
		return
	}
	switch dv := v.Addr().Interface().(type) {
	case defaulter:
		dv.setDefaults()
	case elementDefaulter:
		dv.setElementDefaults(d.elements)
	}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func nodeKindName(n *yaml.Node) string {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value lines)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if d.budget++; d.budget > maxNodes {
		if d.budget == maxNodes+1 {
			d.fail(n.Line, path, "the document is too large (aliases expand to over %d nodes)", maxNodes)
		}
		return
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "key:" with no value leaves the default
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			d.fail(n.Line, path, "%s", err.Error())
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		// A written value is built afresh from its type's defaults.
		p := reflect.New(v.Type().Elem())
		d.applyDefaults(p.Elem())
		v.Set(p)
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n.Line, path, "must be a list (lines starting with \"- \" or [a, b]), got %s", nodeKindName(n))
			return
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.lines[p] = item.Line
			d.applyDefaults(out.Index(i))
			d.decode(item, out.Index(i), p)
		}
		v.Set(out)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n.Line, path, "must be a mapping (name: value lines), got %s", nodeKindName(n))
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				d.fail(k.Line, path, "keys must be plain names, got %s", nodeKindName(k))
				continue
			}
			p := mapKeyPath(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				d.fail(k.Line, p, "duplicate key %q (first on line %d)", k.Value, first)
				continue
			}
			seen[k.Value] = k.Line
			d.lines[p] = k.Line
			elem := reflect.New(v.Type().Elem()).Elem()
			d.applyDefaults(elem)
			d.decode(val, elem, p)
			out.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
		}
		v.Set(out)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n.Line, path, "must be a text value, got %s", nodeKindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		switch strings.ToLower(n.Value) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.fail(n.Line, path, "must be true or false, got %s", nodeKindName(n))
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || err != nil || v.OverflowInt(i) {
			d.fail(n.Line, path, "must be a whole number, got %s", nodeKindName(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(n.Line, path, "must be a number, got %s", nodeKindName(n))
			return
		}
		v.SetFloat(f)
	default:
		panic("config: flows decoder cannot handle " + v.Type().String())
	}
}

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func mapKeyPath(path, key string) string {
	if plainKeyRE.MatchString(key) {
		return joinPath(path, key)
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, path, "must be a mapping (key: value lines), got %s", nodeKindName(n))
		return
	}
	info := fieldsOf(v.Type())
	if info.enabled != nil {
		// Writing a section turns it on unless it says enabled: false.
		v.FieldByIndex(info.enabled).SetBool(true)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k.Line, path, "keys must be plain names, got %s", nodeKindName(k))
			continue
		}
		if k.Tag == "!!merge" || k.Value == "<<" {
			d.fail(k.Line, path, "merge keys (<<) are not supported; put the anchor on a whole value instead (template: *welcome)")
			continue
		}
		name := k.Value
		p := joinPath(path, name)
		if first, dup := seen[name]; dup {
			d.fail(k.Line, p, "duplicate key %q (first on line %d)", name, first)
			continue
		}
		seen[name] = k.Line
		f, ok := info.byName[name]
		if !ok {
			d.fail(k.Line, p, "unknown field %q%s", name, suggest(name, info.names))
			continue
		}
		d.lines[p] = k.Line
		fv := v.FieldByIndex(f.index)
		if f.replace {
			fv.SetZero() // written whole, never merged with the default
		}
		d.decode(val, fv, p)
	}
	line := n.Line
	if l, ok := d.lines[path]; ok {
		line = l // the line of the key or list item that holds this mapping
	}
	for _, name := range info.names {
		if info.byName[name].required {
			if _, ok := seen[name]; !ok {
				d.fail(line, joinPath(path, name), "is required")
			}
		}
	}
}

type fieldRef struct {
	index    []int
	required bool // flows:"required": the key must be written
	replace  bool // flows:"replace": a written value replaces the default whole
}

type structInfo struct {
	byName  map[string]fieldRef
	names   []string // in declaration order
	enabled []int    // index of the "enabled" field, nil if none
}

var structInfos sync.Map // reflect.Type -> *structInfo

// fieldsOf maps yaml keys to fields, flattening ",inline" embedded structs.
func fieldsOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: map[string]fieldRef{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			tag := sf.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(","+opts+",", ",inline,") {
				walk(sf.Type, idx)
				continue
			}
			if name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(sf.Name)
			}
			flag := sf.Tag.Get("flows")
			si.byName[name] = fieldRef{index: idx, required: flag == "required", replace: flag == "replace"}
			si.names = append(si.names, name)
			if name == "enabled" && sf.Type.Kind() == reflect.Bool {
				si.enabled = idx
			}
		}
	}
	walk(t, nil)
	structInfos.Store(t, si)
	return si
}

// suggest returns ` (did you mean "x"?)` for a close known name, else the
// list of known names.
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return "; known fields: " + strings.Join(known, ", ")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
