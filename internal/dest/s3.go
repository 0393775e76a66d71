package dest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/gardien/gardien/internal/config"
	"github.com/gardien/gardien/internal/fault"
	"github.com/gardien/gardien/internal/tlsutil"
	"github.com/gardien/gardien/internal/version"
)

const (
	// s3PartSize is the part size of uploads, which is also the memory an upload
	// holds: one part at a time.
	s3PartSize = 16 << 20
	// s3MaxParts is S3's limit on the parts of one upload; beyond 160 GB the part
	// size grows so that the archive still fits.
	s3MaxParts = 10000
	// s3Retries is how many times minio-go sends one request (a part, a listing)
	// before it gives up: a part is in memory, so it can be sent again; the job
	// retries the whole transfer on top of that.
	s3Retries = 3
	// s3AWSEndpoint is used when endpoint is empty.
	s3AWSEndpoint = "s3.amazonaws.com"
)

// S3 is a prefix in a bucket of an S3 object store (AWS, MinIO, Garage, Ceph,
// Scaleway, OVH…): s3://bucket/prefix with endpoint, region, access_key and
// secret_key. The prefix plays the part of a directory: an archive name is the last
// part of a key.
type S3 struct {
	t      *s3Target
	client *minio.Client
	tr     *http.Transport
	log    *slog.Logger
}

var _ Destination = (*S3)(nil)

// s3Target is the checked configuration. The secret key only lives in the client's
// credentials.
type s3Target struct {
	bucket    string
	prefix    string // "" or "a/b/", the keys' common start
	endpoint  string // host[:port]
	secure    bool   // https
	region    string // "" lets minio-go ask the bucket's location
	accessKey string
	secretKey string
	pathStyle bool
	caFile    string
	timeout   time.Duration
}

var s3RegionRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// checkS3 checks the configuration without any network access nor file read.
func checkS3(c Config, u *url.URL) error {
	_, err := parseS3(c, u)
	return err
}

func parseS3(c Config, u *url.URL) (*s3Target, error) {
	form := `write it like "s3://bucket/prefix", with the server in endpoint`
	if u.Opaque != "" {
		return nil, &config.FieldError{Key: "url", Msg: "an s3 url has two slashes after the scheme", Fix: form}
	}
	if u.User != nil {
		return nil, &config.FieldError{Key: "url", Msg: "the s3 url holds a user or a key",
			Fix: "remove it from the url: s3 logs in with access_key and secret_key (or secret_key_file)"}
	}
	if u.Port() != "" || strings.HasSuffix(u.Host, ":") {
		return nil, &config.FieldError{Key: "url", Msg: fmt.Sprintf("the host of an s3 url is the bucket, %q has a port", u.Host),
			Fix: `put the server in endpoint ("minio.example.org:9000") and write the url like "s3://bucket/prefix"`}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, &config.FieldError{Key: "url", Msg: "the s3 url has a query or a fragment",
			Fix: "give the options as keys of the destination (endpoint, region, path_style)"}
	}
	t := &s3Target{bucket: u.Host, region: c.Region, accessKey: c.AccessKey, secretKey: c.SecretKey,
		pathStyle: c.PathStyle, caFile: c.CAFile, timeout: timeoutOf(c)}
	if t.bucket == "" {
		return nil, &config.FieldError{Key: "url", Msg: "no bucket in the s3 url", Fix: form}
	}
	if err := s3utils.CheckValidBucketName(t.bucket); err != nil {
		return nil, &config.FieldError{Key: "url", Msg: fmt.Sprintf("invalid bucket name %q: %s", t.bucket, strings.ToLower(err.Error())),
			Fix: "a bucket name has 3 to 63 lowercase letters, digits, dots and hyphens, and starts and ends with a letter or a digit"}
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		for _, seg := range strings.Split(p, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return nil, &config.FieldError{Key: "url", Msg: fmt.Sprintf("invalid prefix %q in the s3 url: empty, . and .. parts are not allowed", p),
					Fix: `write the prefix like "s3://bucket/archives/db"`}
			}
		}
		t.prefix = p + "/"
	}

	host, secure, err := parseS3Endpoint(c.Endpoint)
	if err != nil {
		return nil, err
	}
	t.endpoint, t.secure = host, secure
	switch {
	case !secure && !c.AllowInsecure:
		return nil, &config.FieldError{Key: "endpoint", Msg: "the endpoint is plain http: the archives would travel unencrypted",
			Fix: `use https ("https://` + host + `"), or set allow_insecure = true on a network you trust`}
	case secure && c.AllowInsecure:
		return nil, &config.FieldError{Key: "allow_insecure", Msg: "allow_insecure only permits a plain http:// endpoint, and this one is https",
			Fix: "remove allow_insecure: certificates are always verified, set ca_file for a private authority"}
	case !secure && c.CAFile != "":
		return nil, &config.FieldError{Key: "ca_file", Msg: "ca_file is set but the endpoint is plain http",
			Fix: `write the endpoint with https ("https://` + host + `") or remove ca_file`}
	}

	if t.region != "" && !s3RegionRe.MatchString(t.region) {
		return nil, &config.FieldError{Key: "region", Msg: fmt.Sprintf("invalid region %q", t.region),
			Fix: `write it like "eu-west-3" (your provider's documentation names it), or leave it out to ask the server`}
	}
	switch {
	case t.accessKey == "" && t.secretKey == "":
		return nil, &config.FieldError{Key: "access_key", Msg: "no credentials: access_key and secret_key are not set",
			Fix: "set access_key and secret_key_file (a file readable only by gardien's user) to a key allowed to list, read, write and delete in the bucket"}
	case t.accessKey == "":
		return nil, &config.FieldError{Key: "access_key", Msg: "secret_key is set but access_key is not", Fix: "set access_key, the key id that goes with secret_key"}
	case t.secretKey == "":
		return nil, &config.FieldError{Key: "secret_key", Msg: "access_key is set but secret_key is not",
			Fix: `set secret_key_file to a file holding the secret, or secret_key = "${S3_SECRET_KEY}"`}
	case strings.ContainsAny(t.accessKey, " \t\r\n"):
		return nil, &config.FieldError{Key: "access_key", Msg: "access_key holds a space or a line break", Fix: "copy the key id again, without spaces"}
	}

	// Keys of other protocols are refused rather than ignored: a password written
	// here is most likely meant as the secret key.
	for _, k := range []struct {
		key string
		set bool
	}{
		{"username", c.Username != ""},
		{"password_file", c.PasswordFile != ""},
		{"password", c.Password != "" && c.PasswordFile == ""},
		{"key_file", c.KeyFile != ""},
		{"known_hosts", c.KnownHosts != ""},
		{"host_key", c.HostKey != ""},
		{"domain", c.Domain != ""},
		{"require_mount", c.RequireMount},
	} {
		if k.set {
			return nil, &config.FieldError{Key: k.key, Msg: fmt.Sprintf("%s is not used by an s3 destination", k.key),
				Fix: "remove it: s3 logs in with access_key and secret_key (or secret_key_file)"}
		}
	}
	return t, nil
}

// parseS3Endpoint reads endpoint: empty (AWS), host[:port], https://host[:port] or
// http://host[:port]. It returns host[:port] and whether it is https.
func parseS3Endpoint(ep string) (string, bool, error) {
	fix := `write it like "minio.example.org:9000" or "https://s3.fr-par.scw.cloud", or leave it out for AWS`
	if ep == "" {
		return s3AWSEndpoint, true, nil
	}
	secure := true
	raw := ep
	if i := strings.Index(ep, "://"); i >= 0 {
		switch strings.ToLower(ep[:i]) {
		case "https":
		case "http":
			secure = false
		default:
			return "", false, &config.FieldError{Key: "endpoint", Msg: fmt.Sprintf("unsupported scheme %q in endpoint", ep[:i]), Fix: fix}
		}
	} else {
		raw = "https://" + ep
	}
	eu, err := url.Parse(raw)
	if err != nil || eu.Host == "" || eu.User != nil || eu.RawQuery != "" || eu.Fragment != "" || strings.Trim(eu.Path, "/") != "" {
		return "", false, &config.FieldError{Key: "endpoint", Msg: fmt.Sprintf("invalid endpoint %q: it names a server, without user, path nor query", Redact(raw)), Fix: fix}
	}
	if p := eu.Port(); p != "" {
		if !validPort(p) {
			return "", false, &config.FieldError{Key: "endpoint", Msg: fmt.Sprintf("invalid port %q in endpoint", p), Fix: "use a port number between 1 and 65535"}
		}
	} else if strings.HasSuffix(eu.Host, ":") {
		return "", false, &config.FieldError{Key: "endpoint", Msg: fmt.Sprintf("empty port in endpoint %q", ep), Fix: fix}
	}
	return eu.Host, secure, nil
}

func openS3(ctx context.Context, c Config, u *url.URL, env Env) (Destination, error) {
	t, err := parseS3(c, u)
	if err != nil {
		return nil, err
	}
	log := env.logger()
	var tc *tls.Config
	if t.secure {
		if tc, err = tlsutil.Config(t.caFile, ""); err != nil {
			return nil, fault.Permanent(fault.WithHint(err,
				"ca_file must be a PEM file holding the certificate of the authority that signed the server's, readable by gardien's user"))
		}
	} else {
		log.Warn("the s3 endpoint is plain http: archives travel unencrypted", "endpoint", t.endpoint)
	}
	tr := newS3Transport(t.timeout, tc)
	lookup := minio.BucketLookupAuto // path style except on AWS and Google
	if t.pathStyle {
		lookup = minio.BucketLookupPath
	}
	cl, err := minio.New(t.endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(t.accessKey, t.secretKey, ""),
		Secure:       t.secure,
		Transport:    tr,
		Region:       t.region,
		BucketLookup: lookup,
		MaxRetries:   s3Retries,
	})
	if err != nil {
		return nil, fault.Permanent(fault.WithHint(fmt.Errorf("s3 endpoint %s: %w", t.endpoint, err), `check endpoint: it names the server, like "minio.example.org:9000"`))
	}
	cl.SetAppInfo("gardien", version.String())
	s := &S3{t: t, client: cl, tr: tr, log: log}
	if err := s.probe(ctx); err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

// probe lists one key under the prefix: it checks the endpoint, the credentials,
// the bucket and the right to list it, in one request.
func (s *S3) probe(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for o := range s.client.ListObjectsIter(ctx, s.t.bucket, minio.ListObjectsOptions{Prefix: s.t.prefix, MaxKeys: 1}) {
		if o.Err != nil {
			return s.fail(ctx, "list", s.t.prefix, o.Err)
		}
		break
	}
	return nil
}

func (s *S3) key(name string) string { return s.t.prefix + name }

// Put implements Destination.
//
// An S3 object appears under its key only once its upload is complete, so no
// temporary name is needed: Put uploads straight to prefix/name. But a server may
// store the truncated body of a single PUT cut short (versitygw 1.8 does when the
// client disconnects), so every non-empty archive goes as a multipart upload, which
// only the final CompleteMultipartUpload makes visible: an interrupted upload leaves
// no object. The upload is aborted on error; one that could not be (server gone) is
// removed by the next Put of the same name. Memory holds one part.
func (s *S3) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := checkName(name); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("put %s: unknown size %d", name, size)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	key := s.key(name)
	s.abortIncomplete(ctx, key)
	er := &exactReader{r: &ctxReader{ctx: ctx, r: r}, size: size, path: s.target(key)}
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	if size == 0 {
		// Nothing can be cut short: one PUT of an empty body.
		if _, err := er.end(0); err != nil {
			return err
		}
		if _, err := s.client.PutObject(ctx, s.t.bucket, key, bytes.NewReader(nil), 0, opts); err != nil {
			return s.fail(ctx, "put", key, err)
		}
	} else if err := s.putParts(ctx, key, er, size, opts); err != nil {
		return err
	}
	st, err := s.client.StatObject(ctx, s.t.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return s.fail(ctx, "stat", key, err)
	}
	if st.Size != size {
		// The object is complete under its final name but holds the wrong size:
		// remove it, so that nothing looks like a finished archive.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.t.timeout)
		defer cancel()
		if err := s.client.RemoveObject(rctx, s.t.bucket, key, minio.RemoveObjectOptions{}); err != nil {
			s.log.Warn("cannot remove an object of the wrong size", "object", s.target(key), "cause", err.Error())
		}
		return sizeMismatch(s.target(key), st.Size, size)
	}
	return nil
}

// putParts sends the size bytes of er as a multipart upload, one part at a time,
// each with its MD5 for the server to check.
func (s *S3) putParts(ctx context.Context, key string, er *exactReader, size int64, opts minio.PutObjectOptions) (err error) {
	core := minio.Core{Client: s.client}
	id, err := core.NewMultipartUpload(ctx, s.t.bucket, key, opts)
	if err != nil {
		return s.fail(ctx, "put", key, err)
	}
	defer func() {
		if err != nil {
			s.abort(ctx, key, id)
		}
	}()
	buf := make([]byte, min(int64(s3PartSizeFor(size)), size))
	var parts []minio.CompletePart
	for n, sent := 1, int64(0); sent < size; n++ {
		chunk := buf[:min(int64(len(buf)), size-sent)]
		if _, err := io.ReadFull(er, chunk); err != nil {
			if er.err != nil {
				return er.err
			}
			return fmt.Errorf("put %s: %w", s.target(key), err)
		}
		sum := md5.Sum(chunk)
		p, err := core.PutObjectPart(ctx, s.t.bucket, key, id, n, bytes.NewReader(chunk), int64(len(chunk)),
			minio.PutObjectPartOptions{Md5Base64: base64.StdEncoding.EncodeToString(sum[:])})
		if err != nil {
			return s.fail(ctx, fmt.Sprintf("put part %d of", n), key, err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: n, ETag: p.ETag})
		sent += int64(len(chunk))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("complete %s: not done: %w", s.target(key), err)
	}
	if _, err := core.CompleteMultipartUpload(ctx, s.t.bucket, key, id, parts, opts); err != nil {
		return s.fail(ctx, "complete", key, err)
	}
	return nil
}

// abort aborts the multipart upload id of key, even when ctx was cancelled: parts
// left behind take space. A part still in flight on the server may land after the
// abort (AWS says so, versitygw does it), so abort checks that the upload is gone
// and aborts again. What stays is removed by the next Put of the same name.
func (s *S3) abort(ctx context.Context, key, id string) {
	core := minio.Core{Client: s.client}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.t.timeout)
	defer cancel()
	wait := 100 * time.Millisecond
	for range 4 {
		if err := core.AbortMultipartUpload(ctx, s.t.bucket, key, id); err != nil && !isS3Code(err, "NoSuchUpload") {
			s.log.Warn("cannot abort the interrupted upload: the next upload of this name removes it", "object", s.target(key), "cause", err.Error())
			return
		}
		// Give a part cut short on the server the time to land, then look.
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
		_, err := core.ListObjectParts(ctx, s.t.bucket, key, id, 0, 1)
		if isS3Code(err, "NoSuchUpload") {
			return
		}
		if err != nil {
			s.log.Debug("cannot check that the upload was aborted", "object", s.target(key), "cause", err.Error())
			return
		}
	}
	s.log.Warn("the interrupted upload is still there: the next upload of this name removes it", "object", s.target(key))
}

// s3PartSizeFor returns the part size for an upload of size bytes: s3PartSize, or
// more (in whole MiB) when the archive would need more than s3MaxParts parts.
func s3PartSizeFor(size int64) uint64 {
	p := int64(s3PartSize)
	if need := (size + s3MaxParts - 1) / s3MaxParts; need > p {
		p = (need + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return uint64(p)
}

// abortIncomplete removes the multipart uploads of key left by an interrupted run:
// they are invisible but take space (and cost money). Failing that is not worth
// failing the upload for: some servers do not list uploads, or the key may not.
func (s *S3) abortIncomplete(ctx context.Context, key string) {
	core := minio.Core{Client: s.client}
	res, err := core.ListMultipartUploads(ctx, s.t.bucket, key, "", "", "", 1000)
	if err != nil {
		s.log.Debug("cannot list incomplete uploads", "object", s.target(key), "cause", err.Error())
		return
	}
	for _, up := range res.Uploads {
		if up.Key != key {
			continue
		}
		if err := core.AbortMultipartUpload(ctx, s.t.bucket, key, up.UploadID); err != nil {
			s.log.Warn("cannot remove an incomplete upload", "object", s.target(key), "started", up.Initiated, "cause", err.Error())
			continue
		}
		s.log.Info("removed an incomplete upload left by an interrupted run", "object", s.target(key), "started", up.Initiated)
	}
}

// List implements Destination: the objects directly under the prefix, not those of
// deeper "directories".
func (s *S3) List(ctx context.Context) ([]Object, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var objs []Object
	for o := range s.client.ListObjectsIter(ctx, s.t.bucket, minio.ListObjectsOptions{Prefix: s.t.prefix}) {
		if o.Err != nil {
			return nil, s.fail(ctx, "list", s.t.prefix, o.Err)
		}
		name := strings.TrimPrefix(o.Key, s.t.prefix)
		if name == "" || strings.Contains(name, "/") {
			continue // the prefix's own "directory" marker, or a common prefix
		}
		objs = append(objs, Object{Name: name, Size: o.Size, ModTime: o.LastModified})
	}
	return objs, nil
}

// Open implements Destination.
func (s *S3) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	key := s.key(name)
	body, _, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.t.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		err = s.fail(ctx, "open", key, err)
		if isS3Code(err, "NoSuchKey") {
			return nil, notFound(err)
		}
		return nil, err
	}
	return &s3Reader{body: body, path: s.target(key)}, nil
}

// Delete implements Destination. S3 answers a deletion of a missing key with
// success; some servers say NoSuchKey, which is success too.
func (s *S3) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	key := s.key(name)
	err := s.client.RemoveObject(ctx, s.t.bucket, key, minio.RemoveObjectOptions{})
	if err == nil || isS3Code(err, "NoSuchKey") {
		return nil
	}
	return s.fail(ctx, "delete", key, err)
}

// Close implements Destination: S3 has no session, only idle connections.
func (s *S3) Close() error {
	s.tr.CloseIdleConnections()
	return nil
}

func (s *S3) target(key string) string { return "s3://" + s.t.bucket + "/" + key }

// fail names the operation and the object, and sorts the error: cancellation first,
// then the server's answer (with a hint, permanent or worth retrying), then
// transport errors, which fault already knows.
func (s *S3) fail(ctx context.Context, op, key string, err error) error {
	target := s.target(key)
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s %s: %w (%w)", op, target, cerr, err)
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code != "" || resp.StatusCode != 0) {
		return s.classify(op, target, resp)
	}
	e := fmt.Errorf("%s %s: %w", op, target, err)
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fault.Permanent(fault.WithHint(e, fmt.Sprintf(`the server at %s speaks plain http: enable TLS on it, or write endpoint = "http://%s" with allow_insecure = true on a network you trust`, s.t.endpoint, s.t.endpoint)))
	case strings.Contains(msg, "Connection closed by foreign host"):
		// minio-go's rewording of an EOF: the server closed the connection.
		return &lostError{e}
	}
	return e
}

// s3Error is an error answer of the S3 server.
type s3Error struct {
	op, target string
	resp       minio.ErrorResponse
	hint       string
	retry      bool
}

func (e *s3Error) Error() string {
	msg := strings.TrimSpace(e.resp.Error())
	code := e.resp.Code
	if code == "" {
		code = http.StatusText(e.resp.StatusCode)
	}
	return fmt.Sprintf("%s %s: %s (%s, HTTP %d)", e.op, e.target, msg, code, e.resp.StatusCode)
}
func (e *s3Error) Unwrap() error   { return e.resp }
func (e *s3Error) Hint() string    { return e.hint }
func (e *s3Error) Retryable() bool { return e.retry }

const s3CredentialsHint = "check access_key and secret_key (secret_key_file), and that the key may list, read, write and delete in the bucket (s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject)"

// classify gives an S3 error its hint and decides whether retrying may help.
func (s *S3) classify(op, target string, resp minio.ErrorResponse) error {
	e := &s3Error{op: op, target: target, resp: resp}
	switch resp.Code {
	case "NoSuchBucket":
		e.hint = fmt.Sprintf("bucket not found: create it or check the name and region (bucket %q on %s)", s.t.bucket, s.t.endpoint)
	case "InvalidAccessKeyId", "XAdminUserNotFound": // versitygw says the latter
		e.hint = "the server does not know this access key: check access_key, and that the key is active on this server (endpoint)"
	case "SignatureDoesNotMatch":
		e.hint = "the secret key does not match the access key: check secret_key (secret_key_file) and that it has no stray space or line break"
	case "AccessDenied", "AllAccessDisabled", "AccountProblem", "InvalidToken", "ExpiredToken":
		e.hint = "access denied: " + s3CredentialsHint
	case "AuthorizationHeaderMalformed", "InvalidRegion", "PermanentRedirect", "IllegalLocationConstraintException":
		if resp.Region != "" {
			e.hint = fmt.Sprintf("the bucket is in region %s: set region = %q", resp.Region, resp.Region)
		} else {
			e.hint = "the bucket is in another region: set region to the bucket's (the provider's console shows it)"
		}
	case "RequestTimeTooSkewed":
		e.hint = "this machine's clock is off by more than 15 minutes: synchronise it (systemd-timesyncd, chrony or ntp)"
	case "InvalidBucketName":
		e.hint = "the server refuses the bucket name: check it in the url"
	case "QuotaExceeded", "XMinioAdminBucketQuotaExceeded", "XMinioStorageFull", "StorageFull", "InsufficientStorage", "EntityTooLarge":
		e.hint = "no space left for the archive: free space in the bucket or raise its quota, or lower keep_days"
	case "NoSuchKey":
		e.hint = "the file is not in the bucket: `gardien list` shows what is there"
	case "NotImplemented":
		e.hint = "the server does not implement this S3 operation: check that the endpoint is an S3 server"
	case "SlowDown", "SlowDownWrite", "SlowDownRead", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "RequestLimitExceeded":
		e.retry = true
	default:
		switch {
		case resp.StatusCode == http.StatusInsufficientStorage:
			e.hint = "no space left for the archive: free space in the bucket or raise its quota, or lower keep_days"
		case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests ||
			resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
			e.retry = true
		case resp.StatusCode == http.StatusForbidden:
			e.hint = "access denied: " + s3CredentialsHint
		case resp.StatusCode == http.StatusNotFound && resp.Code == "" && resp.Key == "":
			e.hint = fmt.Sprintf("bucket not found: create it or check the name and region (bucket %q on %s)", s.t.bucket, s.t.endpoint)
		}
	}
	if e.retry {
		what := resp.Code
		if what == "" {
			what = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
		e.hint = fmt.Sprintf("the S3 server is overloaded or failing (%s): the run can be retried; if it persists, check the server", what)
		return e
	}
	if e.hint == "" {
		e.hint = "the S3 server refused the request: see its message above; `gardien check` tests the connection"
	}
	return fault.Permanent(e)
}

// isS3Code reports whether err is the S3 error answer code.
func isS3Code(err error, code string) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && resp.Code == code
}

// s3Reader is an object being read.
type s3Reader struct {
	body io.ReadCloser
	path string
}

func (r *s3Reader) Read(p []byte) (int, error) {
	n, err := r.body.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("read %s: %w", r.path, err)
	}
	return n, err
}

func (r *s3Reader) Close() error { return r.body.Close() }

// exactReader passes exactly size bytes of r, and fails rather than let an upload of
// another size complete: S3 stores whatever arrives under the final name. minio-go
// (and net/http) read no further than the announced size, so the last byte is only
// passed on once r was seen to end right after it.
type exactReader struct {
	r    io.Reader
	size int64
	n    int64 // bytes passed on
	path string
	err  error // the size mismatch, once found
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	rest := e.size - e.n
	switch {
	case rest == 0:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	case rest == 1:
		b, err := e.end(1)
		if err != nil {
			return 0, err
		}
		p[0] = b[0]
		e.n++
		return 1, nil
	}
	if int64(len(p)) > rest-1 {
		p = p[:rest-1]
	}
	k, err := e.r.Read(p)
	e.n += int64(k)
	if err == io.EOF {
		e.err = e.short(e.n)
		return k, e.err
	}
	return k, err
}

// end reads the last want bytes of r and checks that r ends there.
func (e *exactReader) end(want int) ([]byte, error) {
	buf := make([]byte, want+1)
	got := 0
	for got < len(buf) {
		k, err := e.r.Read(buf[got:])
		got += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case got > want:
		e.err = fault.WithHint(fmt.Errorf("%s: %w: the archive holds more than the %d bytes announced", e.path, ErrSizeMismatch, e.size), s3SizeHint)
	case got < want:
		e.err = e.short(e.n + int64(got))
	}
	if e.err != nil {
		return nil, e.err
	}
	return buf[:want], nil
}

func (e *exactReader) short(n int64) error {
	return fault.WithHint(fmt.Errorf("%s: %w: the archive ended after %d bytes, %d announced", e.path, ErrSizeMismatch, n, e.size), s3SizeHint)
}

const s3SizeHint = "the file changed while it was sent: run again"

// newS3Transport returns the HTTP transport of an S3 destination: every connection
// fails when nothing moves on it for timeout (a server that stops reading an upload,
// or stops answering), TLS is verified by tc, and idle connections are closed
// before their deadline can cut them.
func newS3Transport(timeout time.Duration, tc *tls.Config) *http.Transport {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &idleConn{Conn: c, timeout: timeout}, nil
		},
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       min(timeout/2, time.Minute),
		MaxIdleConnsPerHost:   4,
		DisableCompression:    true,
	}
}

// idleConn is a connection whose deadline moves forward at each read or write that
// makes progress (as rclone's timeoutConn): an upload may last hours, but not stall
// for timeout. Once the deadline has cut it, every error on it is a timeout, so that
// the write that net/http reports says why the connection was closed.
type idleConn struct {
	net.Conn
	timeout time.Duration
	expired atomic.Bool
}

func (c *idleConn) Read(b []byte) (int, error)  { return c.do(c.Conn.Read, b) }
func (c *idleConn) Write(b []byte) (int, error) { return c.do(c.Conn.Write, b) }

func (c *idleConn) do(f func([]byte) (int, error), b []byte) (int, error) {
	if err := c.Conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, c.fail(err)
	}
	n, err := f(b)
	if n > 0 && err == nil {
		err = c.Conn.SetDeadline(time.Now().Add(c.timeout))
	}
	return n, c.fail(err)
}

func (c *idleConn) fail(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.expired.Store(true)
	}
	if c.expired.Load() {
		return &stallError{err: err, d: c.timeout}
	}
	return err
}
