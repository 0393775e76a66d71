package config

import (
	"errors"
	"testing"
)

// FuzzParse feeds the loader arbitrary files: it must never panic, and every refusal
// must be a located configuration error (what the command line turns into exit 2).
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add(Example)
	f.Add([]byte("[[job]]\nname = \"x\"\n[[job.destination]]\nurl = \"sftp://a:b@c/d\"\n"))
	f.Add([]byte("[log]\nmax_size = \"10XB\"\n"))
	f.Add([]byte("[[job]]\n[job.source]\nheaders = { A = \"${NOPE}\" }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data, nil)
		if err == nil {
			if c == nil || len(c.Jobs) == 0 {
				t.Fatal("accepted a configuration without a job")
			}
			return
		}
		var e *Error
		var es Errors
		if !errors.As(err, &e) && !errors.As(err, &es) {
			t.Fatalf("error of type %T: %v", err, err)
		}
	})
}
