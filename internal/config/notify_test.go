package config

import (
	"strings"
	"testing"
	"time"
)

func TestNotify(t *testing.T) {
	c, err := parse(t, minimal+"\n[notify]\nsuccess = \"https://hc-ping.com/uuid\"\nmethod = \"post\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Notify; n.Success != "https://hc-ping.com/uuid" || n.Method != "POST" || n.Timeout.D() != 10*time.Second || n.Warning != "" {
		t.Errorf("notify %+v", n)
	}
	if c, err := parse(t, minimal); err != nil || c.Notify.Method != "GET" {
		t.Errorf("defaults: %+v, %v", c.Notify, err)
	}
	for text, want := range map[string]string{
		"[notify]\nfailure = \"hc-ping.com/uuid/fail\"\n":                      "gardien.toml:14: notify.failure: invalid url",
		"[notify]\nstart = \"ftp://hc-ping.com/uuid\"\n":                       `notify.start: unsupported scheme "ftp"`,
		"[notify]\nsuccess = \"https://hc-ping.com/uuid\"\nmethod = \"PUT\"\n": `gardien.toml:15: notify.method: unknown method "PUT"`,
		"[notify]\nsucess = \"https://hc-ping.com/uuid\"\n":                    "notify.sucess: unknown key",
	} {
		_, err := parse(t, minimal+"\n"+text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", text, err, want)
		}
	}
}
