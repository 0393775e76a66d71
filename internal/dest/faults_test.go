package dest_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/dest"
	"github.com/gardien/gardien/internal/fault"
)

// An FTP server that turns the session away with 421 (too many connections, shutting
// down), at the greeting or at the login: a transient refusal, retried, with a hint
// that says so. The server is a few lines of the FTP dialogue over TCP, since no
// server library lets a test choose its replies.
func TestFTPServiceNotAvailableIsRetryable(t *testing.T) {
	for _, sc := range []struct {
		name  string
		reply map[string]string // command → reply; "" is the greeting
	}{
		{"at the greeting", map[string]string{"": "421 Too many connections (8) from this IP"}},
		{"at the login", map[string]string{"": "220 ready", "USER": "331 Please specify the password.", "PASS": "421 Service not available, closing control connection."}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						c.SetDeadline(time.Now().Add(10 * time.Second))
						say := func(r string) bool {
							c.Write([]byte(r + "\r\n"))
							return !strings.HasPrefix(r, "421")
						}
						if !say(sc.reply[""]) {
							return
						}
						in := bufio.NewScanner(c)
						for in.Scan() {
							cmd, _, _ := strings.Cut(in.Text(), " ")
							r, ok := sc.reply[strings.ToUpper(cmd)]
							if !ok {
								r = "502 Command not implemented."
							}
							if !say(r) {
								return
							}
						}
					}()
				}
			}()
			c := config.Destination{Name: "ftp", URL: "ftp://backup@" + ln.Addr().String() + "/archives", Password: "pw-421", AllowInsecure: true, Timeout: config.Duration(5 * time.Second)}
			d, err := dest.Open(context.Background(), c, dest.Env{})
			if err == nil {
				d.Close()
				t.Fatal("Open succeeded against a server that answers 421")
			}
			if !fault.Retryable(err) || !strings.Contains(err.Error(), "421") || !strings.Contains(fault.Hint(err), "(421)") {
				t.Errorf("err = %v (retryable %v), hint %q: want a retryable 421 with its hint", err, fault.Retryable(err), fault.Hint(err))
			}
		})
	}
}
