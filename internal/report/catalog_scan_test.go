package report

// The scanner behind TestCatalogCoversTheCode: it reads the repository's Go files
// with go/parser and collects, as shapes, the strings that can reach a mail as a
// step's hint, detail or cause. A shape is literal text with holes where a value goes
// ("{s}, {size} in {dur}"), written in the catalogue's own pattern language so that a
// missing one can be pasted into catalog.go as it is.
//
// It follows strings the way they are written in gardien: literals, constants,
// concatenations, fmt.Sprintf, local variables (with their += parts), a function's
// parameter (through its call sites) and a function's returned strings. What it
// cannot follow (a struct field read, err.Error()) is left out: such values are
// either collected where they are set (a field set in a composite literal) or
// quoted verbatim on purpose (causes).

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// sinkKind says where a string goes.
type sinkKind int

const (
	sinkHint sinkKind = iota
	sinkDetail
	sinkCause
)

func (k sinkKind) String() string {
	return [...]string{"hint", "detail", "cause"}[k]
}

// part is a piece of a shape: literal text, or a hole of a kind ("s", "size", …).
type part struct {
	lit  string
	kind string
	pos  token.Pos // where a literal part was written
}

type shape []part

// pattern renders the shape in the catalogue's language: "{s}, {size} in {dur}".
func (sh shape) pattern() string {
	var b strings.Builder
	for _, p := range sh {
		if p.kind != "" {
			b.WriteString("{" + p.kind + "}")
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

func (sh shape) literal() bool {
	for _, p := range sh {
		if p.kind != "" {
			return false
		}
	}
	return true
}

// empty reports a shape with nothing to translate in it: "", or a value that goes
// back as it is. A size or a duration alone is not empty: its form changes.
func (sh shape) empty() bool {
	for _, p := range sh {
		switch p.kind {
		case "":
			if strings.TrimSpace(p.lit) != "" {
				return false
			}
		case "size", "dur", "date", "g":
			return false
		}
	}
	return true
}

func concat(a, b shape) shape {
	out := append(shape{}, a...)
	for _, p := range b {
		if n := len(out); n > 0 && p.kind == "" && out[n-1].kind == "" {
			out[n-1].lit += p.lit
			if !out[n-1].pos.IsValid() {
				out[n-1].pos = p.pos
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

func lit(s string) shape { return shape{{lit: s}} }
func litAt(s string, pos token.Pos) shape {
	return shape{{lit: s, pos: pos}}
}

// origin is where the shape's first literal text was written: the line to fix.
func (sh shape) origin() token.Pos {
	for _, p := range sh {
		if p.kind == "" && p.pos.IsValid() {
			return p.pos
		}
	}
	return token.NoPos
}
func hole(k string) shape { return shape{{kind: k}} }

// cross concatenates every shape of as with every shape of bs.
func cross(as, bs []shape) []shape {
	var out []shape
	for _, a := range as {
		for _, b := range bs {
			out = append(out, concat(a, b))
			if len(out) >= maxShapes {
				return out
			}
		}
	}
	return out
}

// maxShapes bounds what one expression can expand to.
const maxShapes = 64

// found is one string the code can produce, and where.
type found struct {
	kind  sinkKind
	shape shape
	pos   string // file:line, relative to the repository
}

type goFile struct {
	path string // relative to the repository
	pkg  string // package name
	dir  string
	ast  *ast.File
}

// scanner holds the parsed repository.
type scanner struct {
	root  string
	fset  *token.FileSet
	files []*goFile
	// funcs by name: functions and methods.
	funcs map[string][]fnRef
	// calls by the called name: every call site in the repository.
	calls map[string][]callRef
	// structs by type name: their field names in order, for positional literals.
	structs map[string][]string
	// package-level constants and variables, by package directory and name.
	globals map[string]map[string]ast.Expr
	found   []found
	seen    map[string]bool
	// unfollowed lists the hints whose text the scanner cannot follow (a map
	// lookup, a call into another module): the test cannot check them.
	unfollowed []string
}

type fnRef struct {
	decl *ast.FuncDecl
	file *goFile
}

type callRef struct {
	call *ast.CallExpr
	fn   *ast.FuncDecl
	file *goFile
}

// ctx is where an expression sits: its function and file.
type ctx struct {
	fn    *ast.FuncDecl
	file  *goFile
	depth int
	// bind holds the arguments of the call being followed into fn: plural(n, "file")
	// returns "1 file" or "{n} files", not every noun plural is ever called with.
	bind map[*ast.Object]binding
	// open lists the variables being evaluated: d = u + "@" + d refers to the
	// value before, a value this scanner leaves as a hole.
	open []*ast.Object
}

type binding struct {
	arg ast.Expr
	c   ctx
}

func (c ctx) deeper() ctx {
	c.depth++
	return c
}

// enter is the context of another function (nil for a package-level value).
func (c ctx) enter(fn *ast.FuncDecl, file *goFile, bind map[*ast.Object]binding) ctx {
	return ctx{fn: fn, file: file, depth: c.depth + 1, bind: bind, open: c.open}
}

// scanRepo parses every Go file of the repository under root but tests and testdata.
func scanRepo(root string) (*scanner, error) {
	s := &scanner{root: root, fset: token.NewFileSet(), funcs: map[string][]fnRef{}, calls: map[string][]callRef{},
		structs: map[string][]string{}, globals: map[string]map[string]ast.Expr{}, seen: map[string]bool{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(s.fset, p, src, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		s.files = append(s.files, &goFile{path: rel, pkg: f.Name.Name, dir: filepath.Dir(rel), ast: f})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, gf := range s.files {
		s.index(gf)
	}
	for _, gf := range s.files {
		s.collect(gf)
	}
	return s, nil
}

func (s *scanner) index(gf *goFile) {
	g := s.globals[gf.dir]
	if g == nil {
		g = map[string]ast.Expr{}
		s.globals[gf.dir] = g
	}
	for _, d := range gf.ast.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			s.funcs[d.Name.Name] = append(s.funcs[d.Name.Name], fnRef{d, gf})
			if d.Body == nil {
				continue
			}
			ast.Inspect(d.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if name := calledName(c); name != "" {
						s.calls[name] = append(s.calls[name], callRef{c, d, gf})
					}
				}
				return true
			})
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.ValueSpec:
					for i, n := range sp.Names {
						if i < len(sp.Values) {
							g[n.Name] = sp.Values[i]
						}
					}
				case *ast.TypeSpec:
					st, ok := sp.Type.(*ast.StructType)
					if !ok {
						continue
					}
					var fields []string
					for _, f := range st.Fields.List {
						if len(f.Names) == 0 { // embedded
							fields = append(fields, typeName(f.Type))
						}
						for _, n := range f.Names {
							fields = append(fields, n.Name)
						}
					}
					s.structs[sp.Name.Name] = fields
				}
			}
		}
	}
}

// wraps reports whether e contains the expression x (s.Detail in "a: " + s.Detail).
func wraps(e, x ast.Expr) bool {
	want := types.ExprString(x)
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if ex, ok := n.(ast.Expr); ok && types.ExprString(ex) == want {
			found = true
		}
		return !found
	})
	return found
}

func calledName(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.StarExpr:
		return typeName(t.X)
	case *ast.SelectorExpr:
		return t.Sel.Name
	case *ast.UnaryExpr:
		return typeName(t.X)
	}
	return ""
}

// isPkg reports whether x names an imported package of file gf ("fault" in
// fault.WithHint), not a variable.
func isPkg(gf *goFile, x ast.Expr, name string) bool {
	id, ok := x.(*ast.Ident)
	if !ok || id.Name != name || id.Obj != nil {
		return false
	}
	for _, im := range gf.ast.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		local := filepath.Base(p)
		if im.Name != nil {
			local = im.Name.Name
		}
		if local == name {
			return true
		}
	}
	return false
}

// collect finds the sinks of one file: where a hint, a detail or a cause is set.
func (s *scanner) collect(gf *goFile) {
	for _, d := range gf.ast.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		c := ctx{fn: fd, file: gf}
		// The hint a Hint() method or fault.Hint returns.
		if fd.Name.Name == "Hint" && returnsString(fd) {
			for _, r := range returns(fd) {
				if len(r.Results) > 0 {
					s.add(sinkHint, r.Results[0], c)
				}
			}
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				// fault.WithHint(err, HINT)
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "WithHint" && isPkg(gf, sel.X, "fault") && len(n.Args) == 2 {
					s.add(sinkHint, n.Args[1], c)
				}
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "WithHint" && gf.pkg == "fault" && len(n.Args) == 2 {
					s.add(sinkHint, n.Args[1], c)
				}
			case *ast.CompositeLit:
				tn := typeName(n.Type)
				fields := s.structs[tn]
				for i, el := range n.Elts {
					key, val := "", el
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok {
							key = id.Name
						}
						val = kv.Value
					} else if i < len(fields) {
						key = fields[i]
					}
					if k, ok := sinkOfField(tn, key); ok {
						s.add(k, val, c)
					}
				}
			case *ast.AssignStmt:
				if n.Tok != token.ASSIGN || len(n.Lhs) != len(n.Rhs) {
					break
				}
				for i, l := range n.Lhs {
					sel, ok := l.(*ast.SelectorExpr)
					if !ok || wraps(n.Rhs[i], l) {
						// s.Detail = name + ": " + s.Detail adds to a text collected
						// where it was written.
						continue
					}
					if k, ok := sinkOfField("", sel.Sel.Name); ok {
						s.add(k, n.Rhs[i], c)
					}
				}
			}
			return true
		})
	}
}

// sinkOfField says whether setting field key of a value of type tn sets a hint, a
// detail or a cause.
func sinkOfField(tn, key string) (sinkKind, bool) {
	switch key {
	case "Hint", "hint":
		return sinkHint, true
	case "Fix":
		// A destination's configuration error becomes the hint of a failed
		// connection when the destination is opened (dest.Open).
		return sinkHint, tn == "FieldError"
	case "Detail":
		return sinkDetail, true
	case "Cause":
		return sinkCause, true
	}
	return 0, false
}

func returnsString(fd *ast.FuncDecl) bool {
	r := fd.Type.Results
	if r == nil || len(r.List) == 0 {
		return false
	}
	id, ok := r.List[0].Type.(*ast.Ident)
	return ok && id.Name == "string"
}

// returns lists the return statements of fd, not those of the closures inside it.
func returns(fd *ast.FuncDecl) []*ast.ReturnStmt {
	var out []*ast.ReturnStmt
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			out = append(out, n)
		}
		return true
	})
	return out
}

func (s *scanner) add(k sinkKind, e ast.Expr, c ctx) {
	if rendered(e) {
		return
	}
	shapes := s.eval(e, c)
	if k == sinkHint && !slices.ContainsFunc(shapes, func(sh shape) bool { return !sh.empty() }) && !dynamicHint(e) {
		s.unfollowed = append(s.unfollowed, s.where(e.Pos()))
	}
	for _, sh := range shapes {
		if sh.empty() {
			continue
		}
		where := s.where(e.Pos())
		if at := sh.origin(); at.IsValid() && s.where(at) != where {
			where += " (text at " + s.where(at) + ")"
		}
		key := fmt.Sprint(k, "\x00", sh.pattern())
		if s.seen[key] {
			continue
		}
		s.seen[key] = true
		s.found = append(s.found, found{kind: k, shape: sh, pos: where})
	}
}

func (s *scanner) where(p token.Pos) string {
	pos := s.fset.Position(p)
	rel, _ := filepath.Rel(s.root, pos.Filename)
	return fmt.Sprintf("%s:%d", rel, pos.Line)
}

// rendered reports the mail's own translation of what a step holds (lc.text(s.Detail)
// in mail.go): the renderer writes no text of its own there.
func rendered(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	recv, ok := sel.X.(*ast.Ident)
	return ok && recv.Name == "lc" && (sel.Sel.Name == "text" || sel.Sel.Name == "hintText")
}

// dynamicHint reports a hint expression that is collected elsewhere: the hint of an
// error (fault.Hint(err), h.Hint()), a field read (e.hint, fe.Fix), set where the
// value is built, or the mail's own translation of a hint.
func dynamicHint(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return true
	case *ast.CallExpr:
		return calledName(e) == "Hint"
	}
	return false
}

// eval returns the shapes e can take. A value it cannot follow is a hole of kind
// "s"; eval of such a value alone returns that one hole.
func (s *scanner) eval(e ast.Expr, c ctx) []shape {
	if c.depth > 6 {
		return []shape{hole("s")}
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			v, err := strconv.Unquote(e.Value)
			if err == nil {
				return []shape{litAt(v, e.Pos())}
			}
		}
		if e.Kind == token.INT {
			return []shape{hole("n")}
		}
	case *ast.ParenExpr:
		return s.eval(e.X, c)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			return cross(s.eval(e.X, c), s.eval(e.Y, c))
		}
	case *ast.Ident:
		return s.evalIdent(e, c)
	case *ast.SelectorExpr:
		// A constant of another package: report.StepChanged, config.DefaultSubject.
		if id, ok := e.X.(*ast.Ident); ok && isPkg(c.file, id, id.Name) {
			for _, gf := range s.files {
				if gf.pkg == id.Name {
					if v, ok := s.globals[gf.dir][e.Sel.Name]; ok {
						return s.eval(v, c.enter(nil, gf, nil))
					}
				}
			}
		}
	case *ast.CallExpr:
		return s.evalCall(e, c, 0)
	case *ast.IndexExpr:
		// hints[code]: every value of a map or slice literal.
		if lit := s.literalOf(e.X, c); lit != nil {
			var out []shape
			for _, el := range lit.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					el = kv.Value
				}
				out = append(out, s.eval(el, c.deeper())...)
			}
			return dedupe(out)
		}
	}
	return []shape{hole("s")}
}

// literalOf returns the composite literal a name is declared with, if any.
func (s *scanner) literalOf(e ast.Expr, c ctx) *ast.CompositeLit {
	id, ok := e.(*ast.Ident)
	if !ok {
		return nil
	}
	var v ast.Expr
	if id.Obj == nil {
		v = s.globals[c.file.dir][id.Name]
	} else if vs, ok := id.Obj.Decl.(*ast.ValueSpec); ok {
		for i, n := range vs.Names {
			if n.Name == id.Name && i < len(vs.Values) {
				v = vs.Values[i]
			}
		}
	} else if as, ok := id.Obj.Decl.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
		for i, l := range as.Lhs {
			if li, ok := l.(*ast.Ident); ok && li.Obj == id.Obj {
				v = as.Rhs[i]
			}
		}
	}
	lit, _ := v.(*ast.CompositeLit)
	return lit
}

// evalCall follows a call: fmt.Sprintf, the size and duration formatters, and the
// repository's own functions that return strings.
func (s *scanner) evalCall(e *ast.CallExpr, c ctx, result int) []shape {
	if k := valueKind(e); k != "" {
		return []shape{hole(k)}
	}
	sel, _ := e.Fun.(*ast.SelectorExpr)
	if sel != nil && isPkg(c.file, sel.X, "fmt") && sel.Sel.Name == "Sprintf" && len(e.Args) > 0 {
		return s.evalSprintf(e, c)
	}
	name := calledName(e)
	switch name {
	case "ReplaceAll", "Replace", "TrimSpace", "TrimSuffix", "TrimPrefix":
		// strings.ReplaceAll(hint, "NN", version): the text is the first argument's.
		if sel != nil && isPkg(c.file, sel.X, "strings") && len(e.Args) > 0 {
			return s.eval(e.Args[0], c.deeper())
		}
		return []shape{hole("s")}
	case "", "Error", "String", "Hint", "Sprint", "Join", "Redact", "RedactURL":
		// Verbatim errors and values, or hints collected where they are written.
		return []shape{hole("s")}
	}
	var out []shape
	for _, f := range s.funcs[name] {
		if !s.callMatches(e, c, f) || f.decl.Body == nil {
			continue
		}
		for _, r := range returns(f.decl) {
			if result < len(r.Results) && len(r.Results) == resultCount(f.decl) {
				out = append(out, s.eval(r.Results[result], c.enter(f.decl, f.file, bindArgs(f.decl, e, c)))...)
			}
		}
	}
	if len(out) == 0 {
		return []shape{hole("s")}
	}
	return dedupe(out)
}

// bindArgs binds the parameters of fd to the arguments of call e, made in c.
func bindArgs(fd *ast.FuncDecl, e *ast.CallExpr, c ctx) map[*ast.Object]binding {
	b := map[*ast.Object]binding{}
	i := 0
	for _, f := range fd.Type.Params.List {
		if _, ok := f.Type.(*ast.Ellipsis); ok {
			break
		}
		for _, n := range f.Names {
			if i < len(e.Args) && n.Obj != nil {
				b[n.Obj] = binding{e.Args[i], c}
			}
			i++
		}
		if len(f.Names) == 0 {
			i++
		}
	}
	return b
}

func resultCount(fd *ast.FuncDecl) int {
	n := 0
	if fd.Type.Results != nil {
		for _, f := range fd.Type.Results.List {
			n += max(1, len(f.Names))
		}
	}
	return n
}

// callMatches reports whether call e, in c, may call f: a function of the same
// package by its name, of another package through its name, or a method by name.
func (s *scanner) callMatches(e *ast.CallExpr, c ctx, f fnRef) bool {
	isMethod := f.decl.Recv != nil
	switch fn := e.Fun.(type) {
	case *ast.Ident:
		return !isMethod && f.file.dir == c.file.dir
	case *ast.SelectorExpr:
		if id, ok := fn.X.(*ast.Ident); ok && isPkg(c.file, id, id.Name) {
			return !isMethod && f.file.pkg == id.Name
		}
		return isMethod
	}
	return false
}

// valueKind recognises the formatters whose output the catalogue converts.
func valueKind(e *ast.CallExpr) string {
	switch calledName(e) {
	case "Bytes":
		return "size"
	case "Duration":
		return "dur"
	case "Format":
		if len(e.Args) == 1 {
			if l, ok := e.Args[0].(*ast.BasicLit); ok && strings.HasPrefix(l.Value, `"2006-01-02`) {
				return "date"
			}
		}
	}
	return ""
}

// evalSprintf turns a fmt.Sprintf call into shapes: the format's text with a hole
// for each verb, or the argument's own shapes when it is gardien's text.
func (s *scanner) evalSprintf(e *ast.CallExpr, c ctx) []shape {
	var out []shape
	for _, f := range s.eval(e.Args[0], c) {
		if !f.literal() {
			out = append(out, hole("s"))
			continue
		}
		format, at := f.pattern(), f.origin()
		shapes := []shape{{}}
		arg := 1
		for i := 0; i < len(format); i++ {
			if format[i] != '%' {
				j := strings.IndexByte(format[i:], '%')
				if j < 0 {
					j = len(format) - i
				}
				shapes = cross(shapes, []shape{litAt(format[i:i+j], at)})
				i += j - 1
				continue
			}
			j := i + 1
			for j < len(format) && strings.ContainsRune("+-# 0123456789.*", rune(format[j])) {
				j++
			}
			if j >= len(format) {
				break
			}
			verb := format[j]
			i = j
			if verb == '%' {
				shapes = cross(shapes, []shape{litAt("%", at)})
				continue
			}
			var a ast.Expr
			if arg < len(e.Args) {
				a = e.Args[arg]
			}
			arg++
			shapes = cross(shapes, s.verbShapes(verb, a, c))
		}
		out = append(out, shapes...)
	}
	return dedupe(out)
}

func (s *scanner) verbShapes(verb byte, a ast.Expr, c ctx) []shape {
	switch verb {
	case 'd':
		return []shape{hole("n")}
	case 'x', 'X':
		return []shape{hole("x")}
	case 'g', 'f', 'e':
		return []shape{hole("g")}
	case 'q':
		return []shape{hole("q")}
	}
	if a == nil {
		return []shape{hole("s")}
	}
	if call, ok := a.(*ast.CallExpr); ok {
		if k := valueKind(call); k != "" {
			return []shape{hole(k)}
		}
	}
	if verb == 's' {
		return s.eval(a, c.deeper())
	}
	return []shape{hole("s")}
}

// evalIdent follows a name: a constant, a local variable (every value assigned to
// it, with the parts appended by +=), or a parameter (the arguments of every call).
func (s *scanner) evalIdent(id *ast.Ident, c ctx) []shape {
	if id.Obj == nil {
		if v, ok := s.globals[c.file.dir][id.Name]; ok {
			return s.eval(v, c.enter(nil, c.file, nil))
		}
		return []shape{hole("s")}
	}
	switch decl := id.Obj.Decl.(type) {
	case *ast.ValueSpec:
		if id.Obj.Kind == ast.Con || c.fn == nil {
			for i, n := range decl.Names {
				if n.Name == id.Name && i < len(decl.Values) {
					return s.eval(decl.Values[i], c.deeper())
				}
			}
			return []shape{hole("s")}
		}
		return s.evalLocal(id, c)
	case *ast.AssignStmt:
		return s.evalLocal(id, c)
	case *ast.Field:
		if b, ok := c.bind[id.Obj]; ok {
			bc := b.c
			bc.depth = c.depth + 1
			return s.eval(b.arg, bc)
		}
		return s.evalParam(id, decl, c)
	}
	return []shape{hole("s")}
}

// assignment is one value given to a local variable.
type assignment struct {
	pos    token.Pos
	append bool // +=
	value  ast.Expr
	call   *ast.CallExpr // a, b = f(): the call, with result
	result int
	path   []branch // the if/switch branches it sits in
}

// branch is one branch of an if or a switch: two assignments in different branches
// of the same statement never both happen.
type branch struct {
	stmt ast.Node
	n    int
}

func exclusive(a, b []branch) bool {
	for _, x := range a {
		for _, y := range b {
			if x.stmt == y.stmt && x.n != y.n {
				return true
			}
		}
	}
	return false
}

func (s *scanner) evalLocal(id *ast.Ident, c ctx) []shape {
	if c.fn == nil || c.fn.Body == nil || slices.Contains(c.open, id.Obj) {
		return []shape{hole("s")}
	}
	var as []assignment
	var stack []ast.Node
	ast.Inspect(c.fn.Body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		pathOf := func() []branch {
			var p []branch
			for i, anc := range stack {
				switch a := anc.(type) {
				case *ast.IfStmt:
					if i+1 < len(stack) {
						if stack[i+1] == a.Body {
							p = append(p, branch{a, 0})
						} else if stack[i+1] == a.Else {
							p = append(p, branch{a, 1})
						}
					}
				case *ast.CaseClause:
					if i >= 2 {
						p = append(p, branch{stack[i-2], int(a.Pos())}) // switch → body → case
					}
				}
			}
			return p
		}
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				li, ok := l.(*ast.Ident)
				if !ok || li.Obj != id.Obj {
					continue
				}
				a := assignment{pos: n.Pos(), append: n.Tok == token.ADD_ASSIGN, path: pathOf()}
				switch {
				case len(n.Lhs) == len(n.Rhs):
					a.value = n.Rhs[i]
				case len(n.Rhs) == 1:
					if call, ok := n.Rhs[0].(*ast.CallExpr); ok {
						a.call, a.result = call, i
					}
				}
				if n.Tok == token.ASSIGN || n.Tok == token.DEFINE || n.Tok == token.ADD_ASSIGN {
					as = append(as, a)
				}
			}
		case *ast.ValueSpec:
			for i, nm := range n.Names {
				if nm.Obj == id.Obj && i < len(n.Values) {
					as = append(as, assignment{pos: n.Pos(), value: n.Values[i], path: pathOf()})
				}
			}
		}
		return true
	})
	sub := c.deeper()
	sub.open = append(slices.Clone(c.open), id.Obj)
	val := func(a assignment) []shape {
		if a.call != nil {
			return s.evalCall(a.call, sub, a.result)
		}
		if a.value == nil {
			return []shape{hole("s")}
		}
		shapes := s.eval(a.value, sub)
		// A variable given an empty text, or a parameter's (role := user), holds a
		// value to be replaced before use (if role == "" {role = "the role"}): a
		// value this scanner does not know.
		for i, sh := range shapes {
			if sh.pattern() == "" {
				shapes[i] = hole("s")
			}
		}
		return shapes
	}
	var out []shape
	for _, base := range as {
		if base.append {
			continue
		}
		// The parts appended after this value, each there or not, unless two of
		// them sit in different branches of one if or switch.
		var appends []assignment
		for _, a := range as {
			if a.append && a.pos > base.pos && !exclusive(a.path, base.path) {
				appends = append(appends, a)
			}
		}
		if len(appends) > 4 {
			appends = appends[:4]
		}
		for mask := 0; mask < 1<<len(appends); mask++ {
			var chosen []assignment
			ok := true
			for i, a := range appends {
				if mask&(1<<i) == 0 {
					continue
				}
				for _, b := range chosen {
					if exclusive(a.path, b.path) {
						ok = false
					}
				}
				chosen = append(chosen, a)
			}
			if !ok {
				continue
			}
			shapes := val(base)
			for _, a := range chosen {
				shapes = cross(shapes, val(a))
			}
			out = append(out, shapes...)
			if len(out) >= maxShapes {
				return dedupe(out)
			}
		}
	}
	if len(out) == 0 {
		return []shape{hole("s")}
	}
	return dedupe(out)
}

// evalParam follows a parameter of the enclosing function to the arguments of its
// calls.
func (s *scanner) evalParam(id *ast.Ident, field *ast.Field, c ctx) []shape {
	if c.fn == nil {
		return []shape{hole("s")}
	}
	idx, i := -1, 0
	for _, f := range c.fn.Type.Params.List {
		for _, n := range f.Names {
			if n.Obj == id.Obj {
				idx = i
			}
			i++
		}
		if len(f.Names) == 0 {
			i++
		}
	}
	if idx < 0 || isVariadic(c.fn) && idx == i-1 {
		return []shape{hole("s")}
	}
	var out []shape
	self := fnRef{c.fn, c.file}
	for _, cr := range s.calls[c.fn.Name.Name] {
		if idx >= len(cr.call.Args) || !s.callMatches(cr.call, ctx{fn: cr.fn, file: cr.file}, self) {
			continue
		}
		if c.fn.Recv == nil && cr.file.dir != c.file.dir {
			if sel, ok := cr.call.Fun.(*ast.SelectorExpr); !ok || !isPkg(cr.file, sel.X, c.file.pkg) {
				continue
			}
		}
		out = append(out, s.eval(cr.call.Args[idx], c.enter(cr.fn, cr.file, nil))...)
	}
	if len(out) == 0 {
		return []shape{hole("s")}
	}
	return dedupe(out)
}

func isVariadic(fd *ast.FuncDecl) bool {
	l := fd.Type.Params.List
	if len(l) == 0 {
		return false
	}
	_, ok := l[len(l)-1].Type.(*ast.Ellipsis)
	return ok
}

func dedupe(in []shape) []shape {
	var out []shape
	seen := map[string]bool{}
	for _, sh := range in {
		p := sh.pattern()
		if !seen[p] {
			seen[p] = true
			out = append(out, sh)
		}
	}
	if len(out) > maxShapes {
		out = out[:maxShapes]
	}
	return out
}

// byKind returns what was found of kind k, in a stable order.
func (s *scanner) byKind(k sinkKind) []found {
	var out []found
	for _, f := range s.found {
		if f.kind == k {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b found) int { return strings.Compare(a.pos, b.pos) })
	return out
}
