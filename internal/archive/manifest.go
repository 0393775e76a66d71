package archive

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ManifestName is the name of the manifest inside every archive. It is the last entry,
// written once every file's checksum is known.
const ManifestName = "MANIFEST"

// FileSum is one file of an archive with its checksum.
type FileSum struct {
	Name   string
	Size   int64
	SHA256 string
}

// Manifest describes an archive: where it comes from, when, by which gardien, and the
// SHA-256 of every file, so that a restore can prove it got back what was archived.
//
// It is plain text so that a technician can read it with `tar xzOf x.tgz MANIFEST`:
//
//	# gardien archive manifest
//	format: 1
//	gardien: 0.1.0
//	job: ocpizza-db
//	run: 7f3a
//	host: srv1
//	source: https-zip https://exports.example.org/dump.zip
//	created: 2026-11-22T02:00:04+01:00
//	files:
//	9c1e…d07a  4200000000  dump.sql
//
// An archive of a folder that holds symbolic links lists them after the files, each
// with its target quoted as a Go string:
//
//	links:
//	"../shared/logo.png"  media/logo.png
type Manifest struct {
	Gardien string
	Job     string
	Run     string
	Host    string
	Source  string
	Created time.Time
	Files   []FileSum
	Links   []Link
}

// Link is a symbolic link of an archive and its target.
type Link struct {
	Name   string
	Target string
}

// WriteTo writes the manifest in its text form.
func (m *Manifest) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	b.WriteString("# gardien archive manifest\n")
	b.WriteString("format: 1\n")
	for _, kv := range [][2]string{{"gardien", m.Gardien}, {"job", m.Job}, {"run", m.Run}, {"host", m.Host}, {"source", m.Source}} {
		fmt.Fprintf(&b, "%s: %s\n", kv[0], oneLine(kv[1]))
	}
	fmt.Fprintf(&b, "created: %s\n", m.Created.Format(time.RFC3339))
	b.WriteString("files:\n")
	for _, f := range m.Files {
		fmt.Fprintf(&b, "%s  %d  %s\n", f.SHA256, f.Size, oneLine(f.Name))
	}
	if len(m.Links) > 0 {
		b.WriteString("links:\n")
		for _, l := range m.Links {
			fmt.Fprintf(&b, "%s  %s\n", strconv.Quote(l.Target), oneLine(l.Name))
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// ParseManifest reads a manifest written by WriteTo.
func ParseManifest(r io.Reader) (*Manifest, error) {
	m := &Manifest{}
	sc := bufio.NewScanner(r)
	inFiles, inLinks := false, false
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if inFiles && t == "links:" {
			inFiles, inLinks = false, true
			continue
		}
		if inLinks {
			target, err := strconv.QuotedPrefix(t)
			name, ok := strings.CutPrefix(t[len(target):], "  ")
			if err != nil || !ok || name == "" {
				return nil, fmt.Errorf("manifest line %d: expected a quoted link target, two spaces and the link's name", line)
			}
			target, _ = strconv.Unquote(target)
			m.Links = append(m.Links, Link{Name: name, Target: target})
			continue
		}
		if inFiles {
			parts := strings.SplitN(t, "  ", 3)
			if len(parts) != 3 || len(parts[0]) != 64 {
				return nil, fmt.Errorf("manifest line %d: expected \"SHA256  SIZE  NAME\"", line)
			}
			size, err := strconv.ParseInt(parts[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("manifest line %d: bad size %q", line, parts[1])
			}
			m.Files = append(m.Files, FileSum{SHA256: parts[0], Size: size, Name: parts[2]})
			continue
		}
		k, v, ok := strings.Cut(t, ":")
		if !ok {
			return nil, fmt.Errorf("manifest line %d: expected \"key: value\"", line)
		}
		v = strings.TrimSpace(v)
		switch k {
		case "format":
			if v != "1" {
				return nil, fmt.Errorf("manifest format %q is newer than this gardien understands", v)
			}
		case "gardien":
			m.Gardien = v
		case "job":
			m.Job = v
		case "run":
			m.Run = v
		case "host":
			m.Host = v
		case "source":
			m.Source = v
		case "created":
			m.Created, _ = time.Parse(time.RFC3339, v)
		case "files":
			inFiles = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	if !inFiles && !inLinks {
		return nil, fmt.Errorf("manifest has no files section")
	}
	return m, nil
}
