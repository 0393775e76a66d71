package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// Error is a configuration problem, located in the file and given with its fix.
type Error struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted key, e.g. job.destination.url
	Msg  string
	Fix  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	if e.Fix != "" {
		b.WriteString(" (fix: " + e.Fix + ")")
	}
	return b.String()
}

// Errors is every problem found in one file.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Load reads, expands, completes and validates the configuration at path. check
// validates each destination for its protocol; it may be nil.
func Load(path string, check DestinationCheck) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: path, Msg: "no such file", Fix: "create one with `gardien init`, or pass --config"}
		}
		return nil, &Error{File: path, Msg: err.Error()}
	}
	return Parse(path, data, check)
}

// Parse is Load on bytes already read; path is used in messages and to check the
// file's permissions when it holds a password.
func Parse(path string, data []byte, check DestinationCheck) (*Config, error) {
	c := &Config{Path: path}
	md, err := toml.Decode(string(data), c)
	if err != nil {
		return nil, decodeError(path, err)
	}
	ix := newLineIndex(data)
	var errs Errors
	for i := range c.Jobs {
		if e := decodeSources(&md, &c.Jobs[i], i, path, ix); e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, k := range md.Undecoded() {
		errs = append(errs, &Error{
			File: path, Line: ix.line(k), Key: k.String(),
			Msg: "unknown key", Fix: "check its spelling against `gardien init`'s example, or remove it",
		})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	v := &validator{file: path, ix: ix}
	v.expandEnv(reflect.ValueOf(c).Elem(), nil)
	for i := range c.Jobs {
		j := &c.Jobs[i]
		for k := range j.Sources {
			v.expandEnv(reflect.ValueOf(&j.Sources[k]).Elem(), strings.Split(fmt.Sprintf("job.%d.%s", i, j.SourcePath(k)), "."))
		}
	}
	if len(v.errs) == 0 {
		c.readSecrets(v, data)
		c.setDefaults(ix.written)
		c.validate(v, check)
	}
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	for i := range c.Jobs {
		if j := &c.Jobs[i]; len(j.Sources) > 0 {
			j.Source = j.Sources[0]
		}
	}
	c.Warnings = v.warnings
	return c, nil
}

// decodeSources decodes a job's source table, or its array of source tables, into
// Sources (see Job.RawSource).
func decodeSources(md *toml.MetaData, j *Job, i int, file string, ix *lineIndex) *Error {
	var one Source
	err := md.PrimitiveDecode(j.RawSource, &one)
	if err == nil {
		if !reflect.ValueOf(one).IsZero() {
			j.Sources = []Source{one}
		}
		return nil
	}
	if strings.Contains(err.Error(), "expected table but found") {
		var many []Source
		if err = md.PrimitiveDecode(j.RawSource, &many); err == nil {
			j.Sources, j.sourceArray = many, true
			return nil
		}
	}
	// A value of the wrong type or form: located and explained like any other.
	if e, ok := decodeError(file, err).(*Error); ok && (e.Line > 0 || e.Key != "") && e.Key != "job.source" {
		if e.Line == 0 {
			e.Line = ix.line(strings.Split(e.Key, "."))
		}
		return e
	}
	key := fmt.Sprintf("job.%d.source", i)
	return &Error{File: file, Line: ix.lineOfPath(key), Key: displayKey(key), Msg: err.Error(),
		Fix: "write [job.source] for one source, or [[job.source]] before each of several"}
}

func tomlFix(pe toml.ParseError) string {
	if pe.Usage != "" {
		return strings.TrimSpace(strings.SplitN(pe.Usage, "\n", 2)[0])
	}
	return "check the TOML syntax on that line: strings in double quotes, one key = value a line"
}

// typeErr is BurntSushi/toml's error for a value of the wrong type, which is not a
// ParseError.
var typeErr = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): incompatible types: TOML value has type (\S+); destination has type (.+)$`)

// decodeError turns what the TOML decoder returns into an Error with the file, the
// line, the key and a fix.
func decodeError(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		e := &Error{File: path, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message, Fix: tomlFix(pe)}
		// A value of the right type that does not parse ("10 minutes" for a
		// duration): the message of this package's value types already says how to
		// write it. (toml.ParseError does not unwrap to the error it holds.)
		if strings.Contains(pe.Message, ": write it like ") {
			e.Fix = ""
		}
		return e
	}
	if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
		e := &Error{File: path, Key: m[2], Msg: fmt.Sprintf("a %s where a %s is expected", tomlType(m[3]), tomlType(m[4]))}
		fmt.Sscan(m[1], &e.Line)
		switch {
		case m[3] == "string" && (strings.Contains(m[4], "int") || strings.Contains(m[4], "float")):
			e.Fix = "write the number without quotes"
		case m[3] == "string" && m[4] == "bool":
			e.Fix = "write true or false without quotes"
		case strings.Contains(m[4], "slice") || strings.HasPrefix(m[4], "[]"):
			e.Fix = `write a list in brackets: ["a", "b"]`
		case m[4] == "string":
			e.Fix = "put the value in double quotes"
		default:
			e.Fix = "give it the type shown in `gardien init`'s example"
		}
		return e
	}
	return &Error{File: path, Msg: err.Error()}
}

// tomlType names a TOML or Go type the way a technician reads it.
func tomlType(t string) string {
	switch {
	case t == "string":
		return "text"
	case strings.Contains(t, "int"), strings.Contains(t, "Integer"):
		return "whole number"
	case strings.Contains(t, "float"), strings.Contains(t, "Float"):
		return "number"
	case t == "bool", t == "Boolean":
		return "true/false"
	case strings.HasPrefix(t, "[]"), strings.Contains(t, "slice"), t == "Array":
		return "list"
	case strings.Contains(t, "map"), strings.Contains(t, "struct"), t == "Hash", t == "Table":
		return "table"
	}
	return strings.ToLower(t)
}

// valueError is an error of this package's own value types (Duration, Size,
// Percent); its message ends with ": write it like …".
type valueError struct{ msg string }

func (e valueError) Error() string { return e.msg }

// validator collects errors and warnings with their place in the file.
type validator struct {
	file     string
	ix       *lineIndex
	errs     Errors
	warnings []string
}

// fail records a problem with the value at key (dotted path with array indexes:
// "job.0.destination.1.url").
func (v *validator) fail(key, fix, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.file, Line: v.ix.lineOfPath(key), Key: displayKey(key), Msg: fmt.Sprintf(format, args...), Fix: fix})
}

func (v *validator) warn(format string, args ...any) {
	v.warnings = append(v.warnings, fmt.Sprintf(format, args...))
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} in every string value. An unset variable is an error:
// an empty password or URL would only fail later, and less clearly.
func (v *validator) expandEnv(rv reflect.Value, path []string) {
	switch rv.Kind() {
	case reflect.Struct:
		t := rv.Type()
		for i := 0; i < t.NumField(); i++ {
			tag := t.Field(i).Tag.Get("toml")
			if tag == "" || tag == "-" || !t.Field(i).IsExported() {
				continue
			}
			v.expandEnv(rv.Field(i), append(path, tag))
		}
	case reflect.Slice:
		for i := 0; i < rv.Len(); i++ {
			v.expandEnv(rv.Index(i), append(path, fmt.Sprint(i)))
		}
	case reflect.Map:
		for _, k := range rv.MapKeys() {
			ev := rv.MapIndex(k)
			if ev.Kind() == reflect.String {
				rv.SetMapIndex(k, reflect.ValueOf(v.expandString(ev.String(), append(path, k.String()))))
			}
		}
	case reflect.String:
		rv.SetString(v.expandString(rv.String(), path))
	}
}

func (v *validator) expandString(s string, path []string) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		val, ok := os.LookupEnv(name)
		if !ok {
			v.fail(strings.Join(path, "."), "export "+name+" in the environment that runs gardien (cron: a NAME=value line at the top of the crontab; systemd: /etc/default/gardien), or use a *_file key instead", "environment variable %s is not set", name)
		}
		return val
	})
}

// readSecret returns the content of a *_file secret, without its final newline, and
// warns when other users can read it.
func (v *validator) readSecret(key, file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		v.fail(key, "create the file with the secret alone on its first line, mode 600", "cannot read secret file: %v", err)
		return ""
	}
	v.checkPrivate(file)
	return strings.TrimRight(string(b), "\r\n")
}

// checkPrivate warns when a file holding a secret is readable by group or others.
func (v *validator) checkPrivate(file string) {
	st, err := os.Stat(file)
	if err != nil {
		return
	}
	if st.Mode().Perm()&0o044 != 0 {
		v.warn("%s holds a password and is readable by other users (mode %04o): run chmod 600 %s", file, st.Mode().Perm(), file)
	}
}

// displayKey turns "job.0.destination.1.url" into "job[0].destination[1].url".
func displayKey(path string) string {
	parts := strings.Split(path, ".")
	var b strings.Builder
	for i, p := range parts {
		if isIndex(p) {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
