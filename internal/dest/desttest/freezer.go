package desttest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Freezer is a TCP proxy in front of a server that can freeze the connections going
// through it, as a hung server or a cut network would, without closing anything.
// Frozen connections stay frozen; new ones flow.
type Freezer struct {
	ln       net.Listener
	done     chan struct{} // closed when the test ends
	accepted chan struct{} // closed when the accept loop has returned

	mu    sync.Mutex
	conns []net.Conn
	flags []*atomic.Bool
}

// NewFreezer starts a proxy on 127.0.0.1 to target (host:port); it stops when the
// test ends.
func NewFreezer(t testing.TB, target string) *Freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Freezer{ln: ln, done: make(chan struct{}), accepted: make(chan struct{})}
	go func() {
		defer close(p.accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			frozen := new(atomic.Bool)
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.flags = append(p.flags, frozen)
			p.mu.Unlock()
			go p.pipe(s, c, frozen)
			go p.pipe(c, s, frozen)
		}
	}()
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
		<-p.accepted // no connection is added once they are closed
		p.Cut()
	})
	return p
}

// Addr is the proxy's address, to put in a destination's url in place of the
// server's.
func (p *Freezer) Addr() string { return p.ln.Addr().String() }

// Freeze stops every current connection for good: nothing more goes through, either
// way, and nothing is closed.
func (p *Freezer) Freeze() {
	p.mu.Lock()
	for _, f := range p.flags {
		f.Store(true)
	}
	p.mu.Unlock()
}

// Cut closes every connection, frozen or not: the server sees them end, as it does
// when a cut network comes back.
func (p *Freezer) Cut() {
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

func (p *Freezer) pipe(dst, src net.Conn, frozen *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for frozen.Load() {
			select {
			case <-p.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}
