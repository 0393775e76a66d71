package main

import (
	"context"
	"encoding/pem"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// cmdServe serves a directory over HTTPS on 127.0.0.1 until SIGTERM or SIGINT, with a
// self-signed certificate written to -ca for the clients (gardien's ca_file, curl's
// --cacert), and its base URL written to -url-file once it listens.
func cmdServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	root := fs.String("root", "", "the directory to serve")
	ca := fs.String("ca", "", "where to write the server's certificate (PEM)")
	urlFile := fs.String("url-file", "", "where to write the base URL")
	fs.Parse(args)
	if *root == "" || *ca == "" || *urlFile == "" {
		return fmt.Errorf("-root, -ca and -url-file are required")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{
		Handler:           http.FileServer(http.Dir(*root)),
		ReadHeaderTimeout: 10 * time.Second,
	}}
	srv.StartTLS()
	defer srv.Close()
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(*ca, cert, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(*urlFile, []byte(srv.URL+"\n"), 0o644); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	<-ctx.Done()
	return nil
}
