package config

// The descriptions of the configuration keys, from which docs/reference.md is
// generated (reference.go, `make docs`). A key added to the structs of types.go without
// a description here makes the reference, and its test, fail.

// keyDoc describes one key.
type keyDoc struct {
	// text says what the key does, in Markdown, in the words of a technician.
	text string
	// schemes lists the destination URL schemes a [[job.destination]] key belongs to;
	// empty means every scheme. The reference marks the schemes that this version does
	// not support, from the registry of internal/dest.
	schemes []string
	// unused marks a key that is read and validated but that no code acts on yet. A
	// test fails when code outside internal/config starts using it, so that the mark
	// cannot outlive the truth.
	unused bool
	// when lists the defaults that depend on other keys: each is computed by loading
	// the minimal configuration with those keys set.
	when []variant
}

// variant is a change to the minimal configuration, and how the reference names it.
type variant struct {
	label string              // `security = "tls"`
	set   map[string][]string // table ("mail", "job.destination") → TOML lines
}

// docMinimal is the smallest valid configuration, table by table: its keys are the
// required ones, and the defaults of every other key are read from it once loaded.
var docMinimal = map[string][]string{
	"job":             {`name = "example"`},
	"job.source":      {`url = "https://exports.example.org/dump.zip"`, `expect = "dump.sql"`},
	"job.destination": {`url = "file:///srv/archives"`},
}

var keyDocs = map[string]keyDoc{
	// [log]
	"log.file": {text: "Where the log goes: one logfmt line per event, and each run's summary block. " +
		"`\"-\"` writes to stderr only, which `gardien cron` refuses (under cron, stderr is lost). " +
		"The directory is created when missing."},
	"log.level": {text: "The least important lines written to the file: `debug`, `info`, `warn` or `error`. " +
		"The terminal shows warnings and errors (every line with `--verbose`, errors only with `--quiet`)."},
	"log.max_size": {text: "The file is rotated when it grows past this size, rounded up to whole MiB."},
	"log.max_files": {text: "How many rotated files are kept beside the log " +
		"(`gardien-<date>T<time>.log`); the oldest go first."},

	// [state]
	"state.dir": {text: "What gardien remembers between runs: `<job>.lock` (two runs of a job never overlap), " +
		"`<job>/last.json` (the checksums of the last successful run, for the *changed since last run* and " +
		"*plausible size* checks) and `<job>/history.jsonl` (one line per run). Removing it only makes the " +
		"next run behave as the first."},

	// [mail]
	"mail.transport": {text: "How the report is sent: `smtp` (to `host`), `sendmail` (handed to the local MTA) or `none`.",
		when: []variant{
			{"`host` is set", map[string][]string{"mail": {`host = "smtp.example.org"`, `from = "gardien@example.org"`, `to = ["admin@example.org"]`}}},
			{"only `to` is set", map[string][]string{"mail": {`from = "gardien@example.org"`, `to = ["admin@example.org"]`}}},
		}},
	"mail.host": {text: "The SMTP server's name or address (`transport = \"smtp\"`)."},
	"mail.port": {text: "The SMTP server's port.",
		when: []variant{
			{"`security = \"tls\"`", map[string][]string{"mail": {`security = "tls"`}}},
			{"`security = \"none\"`", map[string][]string{"mail": {`security = "none"`}}},
		}},
	"mail.security": {text: "`tls`: TLS from the first byte (\"SMTPS\", port 465); `starttls`: STARTTLS, required, " +
		"never opportunistic (port 587); `none`: no encryption, for a relay on a trusted network. " +
		"Certificates are always verified.",
		when: []variant{
			{"`port = 465`", map[string][]string{"mail": {`port = 465`}}},
		}},
	"mail.username": {text: "Log in as this user, with CRAM-MD5, PLAIN or LOGIN (the first the server offers, in that order). " +
		"Empty: no authentication. A password is never sent over an unencrypted connection, except to the local machine."},
	"mail.password":      {text: "The SMTP password. Prefer `password_file` or `\"${VAR}\"`, which keep it out of this file."},
	"mail.password_file": {text: "A file holding only the SMTP password, mode 600 (gardien warns when others can read it). Exclusive with `password`."},
	"mail.ca_file":       {text: "A PEM file with the certificate authority of a server whose certificate a private CA signed; trusted in addition to the system's."},
	"mail.sendmail":      {text: "The local MTA's sendmail program (`transport = \"sendmail\"`), run as `sendmail -t -i`."},
	"mail.timeout": {text: "For each attempt to send. A refused connection, a timeout or a 4xx reply is tried again, " +
		"3 attempts in all; a refused password or recipient is not."},
	"mail.from": {text: "The sender's address. Required unless `transport = \"none\"`; many servers accept only the account's own address."},
	"mail.to":   {text: "The recipients. Required unless `transport = \"none\"`."},
	"mail.subject": {text: "The subject: `{status}` is SUCCESS, WARNING or FAILURE (in English whatever the language, for mail filters), " +
		"`{job}` the jobs, `{date}` the day, `{host}` this machine, `{step}` the step that failed or warned. " +
		"A subject without `{step}` gets it appended when something went wrong."},
	"mail.send_on":    {text: "When to send: `always`, `failure` (failures and warnings) or `never`."},
	"mail.attach_log": {text: "Attach the log lines of the run the mail reports (not the whole log file)."},
	"mail.language":   {text: "The language of the mail: `fr` or `en`. The log stays in English."},
	"mail.per_job":    {text: "One mail per job, instead of one mail for all the jobs of a `gardien run`."},

	// [notify]
	"notify.start": {text: "A URL called when `gardien run` starts (healthchecks.io's `/start`), so that an outside monitor " +
		"notices a run that never happened. `{status}` and `{host}` in a URL are replaced. The URLs are secrets: their " +
		"paths never appear in the log."},
	"notify.success": {text: "A URL called when every job succeeded."},
	"notify.warning": {text: "A URL called when the run ended with warnings. Empty: the `success` URL."},
	"notify.failure": {text: "A URL called when a job failed."},
	"notify.method":  {text: "`GET`, or `POST` to send the status and the summary blocks as the body (100 kB at most)."},
	"notify.timeout": {text: "For each call; transient errors are tried again, 3 attempts in all. " +
		"A ping that fails is a warning (exit code 3 at least); it never changes a job's result."},
	"notify.ca_file": {text: "A PEM file with a private certificate authority for the monitor's certificate."},

	// [[job]]
	"job.name": {text: "The job's name: letters, digits, `.`, `_` and `-`. It names the job in the log, the mail, " +
		"the state files and on the command line (`gardien run NAME`)."},
	"job.schedule": {text: "When the job runs: a cron expression of 5 fields (minute hour day-of-month month day-of-week, " +
		"such as `\"0 2 * * *\"`) or `@daily`, `@hourly`…, read by `gardien cron`, `gardien systemd` and `gardien daemon`. " +
		"Empty: the job runs only by hand."},

	// [job.source]
	"job.source.type": {text: "Where the dump comes from: `https-zip` (a .zip fetched over HTTPS), `postgres` " +
		"(`pg_dump` of every matching database), `directory` (a folder, such as a Django `media/`) or `command` " +
		"(the standard output of a command, such as `mysqldump`). A job with several sources writes " +
		"`[[job.source]]` before each; its archive holds each one's files under its `name`."},
	"job.source.name": {text: "The folder of the archive that holds this source's files, when the job has several " +
		"sources or the source is a directory. Default: `db` for postgres, the folder's own name for a directory, " +
		"the type otherwise."},
	"job.source.dsn": {text: "postgres: the connection, as a URL (`postgresql://backup@db.example.org:5432/postgres`) " +
		"or libpq `key=value` pairs; instead of `host`, `port` and `username`. A password in it is masked in the log. " +
		"Its `connect_timeout` (whole seconds; 10 when left out; never more than `timeout`) bounds connecting, listing " +
		"the databases and each pg_dump's connection: a server that accepts the connection and then says nothing " +
		"fails the attempt then, which `retries` repeats."},
	"job.source.host": {text: "postgres: the server's name or address, or the directory of its Unix socket " +
		"(`/var/run/postgresql`, to log in as the system user gardien runs as)."},
	"job.source.port": {text: "postgres: the server's port (5432 when left out)."},
	"job.source.sslmode": {text: "postgres: `disable`, `verify-ca` or `verify-full` (with `ca_file`). Left out: no TLS " +
		"over the local socket or loopback, `verify-full` otherwise. `require`, `prefer` and `allow` are refused: " +
		"they accept any certificate."},
	"job.source.databases": {text: "postgres: the databases to dump, a glob such as `\"Specibike*\"` or a list of " +
		"names and globs; templates and databases that refuse connections are never dumped. The run checks that " +
		"it made one dump per matching database."},
	"job.source.pg_dump": {text: "postgres: the `pg_dump` program; it must be at least the server's version."},
	"job.source.pg_dump_args": {text: "postgres: more arguments for `pg_dump`, such as `[\"--no-comments\"]` " +
		"(gardien sets the format and the connection itself)."},
	"job.source.path": {text: "directory: the folder to archive, whole, with its modes, times and symbolic links."},
	"job.source.exclude": {text: "directory: globs of what to leave out. A pattern without `/` matches a name at any " +
		"depth (`\"*.tmp\"`, `\"cache\"`); one with `/` matches from the top of the folder."},
	"job.source.strict": {text: "directory: an unreadable file fails the run. Without it, the file is left out with " +
		"a warning."},
	"job.source.command": {text: "command: the command whose standard output is archived: a list of arguments " +
		"(`[\"mysqldump\", \"--single-transaction\", \"shop\"]`), or a string run by `/bin/sh -c`. A non-zero " +
		"exit status or an empty output fails the run, with its standard error in the cause."},
	"job.source.filename": {text: "command: the name of the command's output in the archive."},
	"job.source.env": {text: "command: environment variables for the command, such as " +
		"`{ MYSQL_PWD = \"${MYSQL_PWD}\" }`; values whose names look like secrets are masked in the log."},
	"job.source.url": {text: "The address of the .zip. `http://` is refused unless `allow_insecure = true`. " +
		"A password in the URL is masked in the log."},
	"job.source.expect": {text: "The file that must be inside the zip: the dump. When that exact path is not there, " +
		"the one entry with that base name is taken (exports often put the dump in a folder)."},
	"job.source.timeout": {text: "https-zip: the longest one attempt at the download may take, answer and body " +
		"(it also bounds the wait for the answer, which an export made on demand may make long); postgres and " +
		"command: the longest each dump or the command may run (its whole process group is then stopped); " +
		"postgres also connects for at most this long, or `connect_timeout` in `dsn` (10 s) when shorter. " +
		"A directory has none."},
	"job.source.idle_timeout": {text: "https-zip: the longest the server may stay silent once the download has begun: " +
		"a stalled server is cut off then, and the download tried again (`retries`), instead of waiting for `timeout`."},
	"job.source.username": {text: "https-zip: the HTTP basic authentication user; postgres: the role to log in as."},
	"job.source.password": {text: "https-zip: the HTTP basic authentication password; postgres: the role's password. " +
		"Prefer `password_file` or `\"${VAR}\"`."},
	"job.source.password_file": {text: "A file holding only the password, mode 600. Exclusive with `password`."},
	"job.source.ca_file": {text: "A PEM file with the certificate authority of a server whose certificate a private CA " +
		"signed; trusted in addition to the system's (postgres: the `sslrootcert`)."},
	"job.source.headers": {text: "HTTP headers sent with the request, such as `{ Authorization = \"Bearer ${EXPORT_TOKEN}\" }`. " +
		"Their values are masked in the log."},
	"job.source.allow_insecure": {text: "Accept an `http://` url: the dump then travels unencrypted."},
	"job.source.min_size": {text: "The *plausible size* check warns (or fails, with `on_shrink = \"fail\"`) when the dump " +
		"is smaller than this. 0: no minimum."},
	"job.source.max_size": {text: "Refuse a zip, or an entry inside it, larger than this (a zip bomb, a runaway export). 0: no limit."},
	"job.source.max_shrink": {text: "The *plausible size* check warns (or fails) when the dump is smaller than the last " +
		"successful run's by more than this share."},
	"job.source.on_shrink": {text: "A dump that fails the *plausible size* check: `warn` sends the archive but deletes " +
		"nothing (the mail says so); `fail` stops the run before sending."},
	"job.source.retries": {text: "How many times the download (https-zip), or the connection and each pg_dump " +
		"(postgres), is tried again when the error is transient (connection cut or refused, timeout, HTTP 5xx or 429), " +
		"with a growing pause between tries. `0` tries once."},
	"job.source.confirm_unchanged": {text: "A zip entry with the same size and CRC-32 as the last run's dump is known " +
		"unchanged without being read. `true` reads it and compares its SHA-256 before saying so."},

	// [job.verify]
	"job.verify.schedule": {text: "When `gardien verify` runs for the job, a cron expression read by `gardien cron`, " +
		"`gardien systemd` and `gardien daemon`. Empty: by hand only."},
	"job.verify.from": {text: "The destination to fetch the archive from. Default: the first that has it."},
	"job.verify.restore_dsn": {text: "The PostgreSQL server where each dump is restored into a scratch database, " +
		"dropped afterwards whatever happens: a role that may create databases. A password in it is masked in the log. " +
		"Its `connect_timeout` (10 s when left out) bounds connecting."},
	"job.verify.password":      {text: "The password of the `restore_dsn` role. Prefer `password_file` or `\"${VAR}\"`."},
	"job.verify.password_file": {text: "A file holding only that password, mode 600. Exclusive with `password`."},
	"job.verify.ca_file":       {text: "A PEM file with the certificate authority of the restore server."},
	"job.verify.pg_restore":    {text: "The `pg_restore` program."},
	"job.verify.query": {text: "A sanity query run in each restored database, such as " +
		"`\"SELECT count(*) FROM res_users\"`."},
	"job.verify.expect": {text: "What the query's first value must be: `\"3\"`, `\"> 0\"`, `\">= 100\"`. Default: " +
		"the query returns a row."},
	"job.verify.timeout": {text: "The longest each restore may take."},

	// [job.archive]
	"job.archive.name": {text: "The archive's name, a strftime pattern with `%Y %y %m %d %H %M %S %j` and `%%`. It must " +
		"hold the year and the day (`%m` and `%d`, or `%j`): the retention reads the date back from the name. " +
		"The seed's AAAADDMM is `\"%Y%d%m.tgz\"`.",
		when: []variant{
			{"`compression = \"zstd\"`", map[string][]string{"job.archive": {`compression = "zstd"`}}},
		}},
	"job.archive.compression": {text: "`gzip` (a standard .tgz: what gardien compresses is compressed on every core, a zip's dump keeps the zip's compression, see `recompress`) or `zstd` (smaller and faster; `tar --zstd -xf` opens it)."},
	"job.archive.level": {text: "The compression level: 0 for the compressor's default, 1 (fast) to 9 (small) for gzip, 1 to 22 for zstd. " +
		"With gzip it applies to what gardien compresses: a zip's dump keeps the zip's compression unless `recompress = true`."},
	"job.archive.recompress": {text: "With gzip, a dump that the zip holds deflated (as every export does) goes into the .tgz " +
		"as the zip holds it, in a gzip member of its own: the archive is about the zip's size, and it is made at " +
		"the speed of unzip (the dump is still inflated on the way, to check its CRC-32 and compute its SHA-256). " +
		"`true` compresses the dump again at `level`: slower, and smaller only when the server's zip compresses " +
		"weakly. zstd always compresses again."},
	"job.archive.on_unchanged": {text: "A dump identical to the last successful run's: `skip` (a warning, exit code 3; " +
		"nothing is sent, nothing deleted), `archive` (archive and send it anyway) or `fail`."},
	"job.archive.staging_dir": {text: "Where the zip is downloaded and the archive built before it is sent: it needs room " +
		"for both. Each run works in its own `<job>-<run>` directory there and removes it; one left by a killed run " +
		"is removed by the next run of the job."},

	// [[job.destination]]
	"job.destination.name": {text: "The destination's name in the log, the mail and `gardien restore --from`.",
		when: []variant{
			{"`url = \"sftp://backup@nas.example.org/srv/archives\"`", map[string][]string{"job.destination": {`url = "sftp://backup@nas.example.org/srv/archives"`}}},
		}},
	"job.destination.url": {text: "Where the archives go: a directory, named by a URL whose scheme is the protocol " +
		"(see the list above). A password in the URL is moved to `password` and masked."},
	"job.destination.username":      {text: "The user to log in as, when the url does not name one.", schemes: []string{"sftp", "ftps", "ftps+implicit", "webdav", "webdavs", "smb"}},
	"job.destination.password":      {text: "The password. Prefer `password_file` or `\"${VAR}\"`.", schemes: []string{"sftp", "ftps", "ftps+implicit", "webdav", "webdavs", "smb"}},
	"job.destination.password_file": {text: "A file holding only the password, mode 600. Exclusive with `password`.", schemes: []string{"sftp", "ftps", "ftps+implicit", "webdav", "webdavs", "smb"}},
	"job.destination.key_file": {text: "The SSH private key to log in with, without passphrase (OpenSSH or PEM format). " +
		"gardien warns when others can read it.", schemes: []string{"sftp"}},
	"job.destination.known_hosts": {text: "A known_hosts file holding the server's host key (fill it with `ssh-keyscan`, " +
		"then compare the fingerprint). The host key is always verified: `known_hosts` or `host_key` is required.", schemes: []string{"sftp"}},
	"job.destination.host_key": {text: "The server's host key, instead of `known_hosts`: one line of `ssh-keyscan` output, " +
		"or its `SHA256:…` fingerprint as `ssh-keygen -l` prints it.", schemes: []string{"sftp"}},
	"job.destination.ca_file": {text: "A PEM file with a private certificate authority for the server's TLS certificate.",
		schemes: []string{"ftps", "ftps+implicit", "webdavs", "s3"}},
	"job.destination.allow_insecure": {text: "Accept a protocol without encryption (`ftp://`, `webdav://`).",
		schemes: []string{"ftp", "webdav"}},
	"job.destination.verify": {text: "Read the archive back and compare its SHA-256 with the one sent, before it takes its name " +
		"(it is sent as `.NAME.verify`); a copy that differs is deleted and the transfer fails, and an archive of that name " +
		"already there is kept. On S3, which cannot rename, it is read back after the upload, under its name."},
	"job.destination.timeout": {text: "To connect, and the longest the server may stay silent during an operation before " +
		"the connection is cut (and the operation tried again).", schemes: []string{"sftp", "ftps", "ftps+implicit", "webdav", "webdavs", "smb", "s3"}},
	"job.destination.require_mount": {text: "Refuse to write unless the directory is on a mounted file system other than " +
		"the root's, so that an unmounted NAS does not silently fill the local disk.", schemes: []string{"file"}},
	"job.destination.domain":          {text: "The Windows domain (workgroup) of the user.", schemes: []string{"smb"}},
	"job.destination.endpoint":        {text: "The S3 server, `host[:port]` or `https://host[:port]`; empty for AWS.", schemes: []string{"s3"}},
	"job.destination.region":          {text: "The S3 region.", schemes: []string{"s3"}},
	"job.destination.access_key":      {text: "The S3 access key.", schemes: []string{"s3"}},
	"job.destination.secret_key":      {text: "The S3 secret key. Prefer `secret_key_file` or `\"${VAR}\"`.", schemes: []string{"s3"}},
	"job.destination.secret_key_file": {text: "A file holding only the S3 secret key, mode 600. Exclusive with `secret_key`.", schemes: []string{"s3"}},
	"job.destination.path_style":      {text: "Put the bucket in the path rather than in the host name (MinIO, Garage).", schemes: []string{"s3"}},

	// [job.retention]
	"job.retention.keep_days": {text: "Delete, on each destination, the archives dated (by their name) before the start " +
		"of the day `keep_days` days ago. 0 keeps every archive."},
	"job.retention.keep_min": {text: "Never delete below this many archives (the newest, dated no later than today), " +
		"whatever their age.",
		when: []variant{
			{"`keep_days` is set", map[string][]string{"job.retention": {`keep_days = 30`}}},
		}},
}
