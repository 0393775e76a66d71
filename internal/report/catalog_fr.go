package report

// The French catalogue of the mail (mail.language = "fr"): the hints, the details and
// the causes gardien writes, in French. Write it with plain spaces: the no-break
// spaces before : ; ? ! % are added when it is built (frenchTypography).
//
// The conventions: the technician is addressed as "vous", in the imperative
// ("vérifiez"); configuration keys, commands, file names and protocol names stay as
// they are (keep_days, ca_file, known_hosts, ssh-keyscan, SFTP, CRC-32, sha256); "the
// run can be retried" is "une nouvelle exécution peut réussir"; "the user gardien runs
// as" is "l'utilisateur sous lequel tourne gardien".
//
// TestCatalogCoversTheCode lists, ready to paste, what the code can write that is not
// here.

var (
	frenchHints   = newCatalog(hintsFR, hintPatternsFR, "; ", nb+"; ")
	frenchDetails = newCatalog(detailsFR, detailPatternsFR, "", "")
)

// hintsFR: every fixed hint, word for word in meaning.
var hintsFR = map[string]string{
	// internal/fault: the hints of the common errors.
	"the run was interrupted; run it again":                                                                      "l'exécution a été interrompue : relancez-la",
	"the server did not answer in time: check that it is up and not overloaded, or raise timeout":                "le serveur n'a pas répondu à temps : vérifiez qu'il est en marche et pas surchargé, ou augmentez timeout",
	"the host name does not resolve: check its spelling and the machine's DNS (/etc/resolv.conf)":                "le nom d'hôte ne se résout pas : vérifiez son orthographe et le DNS de la machine (/etc/resolv.conf)",
	"nothing listens on that port: check that the service is running and the port is right":                      "le serveur ne répond pas sur ce port : vérifiez que le service tourne et que le port est le bon",
	"the host cannot be reached: check the network and firewalls between this machine and the server":            "l'hôte est injoignable : vérifiez le réseau et les pare-feu entre cette machine et le serveur",
	"the disk is full: free space there, or lower keep_days":                                                     "le disque est plein : libérez de la place, ou réduisez keep_days",
	"the disk quota is exhausted: free space there, or lower keep_days":                                          "le quota disque est épuisé : libérez de la place, ou réduisez keep_days",
	"permission denied: check the owner and mode of the directory for the user gardien runs as":                  "permission refusée : vérifiez le propriétaire et les droits du répertoire pour l'utilisateur sous lequel tourne gardien",
	"the server's certificate is not signed by a known authority: install the CA on this machine or set ca_file": "le certificat du serveur n'est pas signé par une autorité connue : installez l'autorité de certification sur cette machine, ou renseignez ca_file",
	"the certificate does not match the host name: use the name the certificate was issued for":                  "le certificat ne correspond pas au nom d'hôte : utilisez le nom pour lequel le certificat a été émis",
	"the server's certificate is invalid (expired or not yet valid): renew it, and check this machine's clock":   "le certificat du serveur n'est pas valide (expiré, ou pas encore valide) : renouvelez-le, et vérifiez l'horloge de cette machine",
	"the connection broke off: check the network and the server's logs; the run can be retried":                  "la connexion a été coupée : vérifiez le réseau et les journaux du serveur ; une nouvelle exécution peut réussir",
	"the TLS handshake failed: check the server's certificate, or set ca_file for a private CA":                  "la négociation TLS a échoué : vérifiez le certificat du serveur, ou renseignez ca_file pour une autorité privée",
	"see the cause above; `gardien check` tests each connection":                                                 "voyez la cause ci-dessus ; `gardien check` teste chaque connexion",

	// internal/job
	"wait for the other run to finish; a run killed with kill -9 releases the lock by itself":                                                    "attendez la fin de l'autre exécution ; une exécution tuée par kill -9 libère le verrou d'elle-même",
	"check that state.dir exists and is writable by the user gardien runs as":                                                                    "vérifiez que state.dir existe et que l'utilisateur sous lequel tourne gardien peut y écrire",
	"check staging_dir in [job.archive]: it must be writable and have room for one archive":                                                      "vérifiez staging_dir dans [job.archive] : gardien doit pouvoir y écrire, et y trouver la place d'une archive",
	"the zip entry is truncated: the export may have been cut; check it on the source server":                                                    "l'entrée du zip est tronquée : l'export a peut-être été interrompu ; vérifiez-le sur le serveur source",
	"the zip entry is corrupt (CRC-32 or size mismatch): check the export on the source server, then run again":                                  "l'entrée du zip est corrompue (CRC-32 ou taille incorrects) : vérifiez l'export sur le serveur source, puis relancez",
	"the previous run's record is unreadable: this run is treated as the first":                                                                  "l'enregistrement de l'exécution précédente est illisible : cette exécution est traitée comme la première",
	"the source served the same dump again: check that the export ran on the source server":                                                      "la source a servi le même dump qu'avant : vérifiez que l'export a bien tourné sur le serveur source",
	"a dump that shrinks overnight is the classic silent failure: check the export on the source server; retention does not run on this archive": "un dump qui rétrécit du jour au lendemain est la panne silencieuse classique : vérifiez l'export sur le serveur source ; l'archive est envoyée, mais aucune ancienne archive n'est supprimée",
	"check that state.dir is writable and has room; the next run will treat its dump as the first":                                               "vérifiez que gardien peut écrire dans state.dir et qu'il y reste de la place ; la prochaine exécution traitera son dump comme le premier",
	"check the dump (see plausible size); the archive already on the destination is kept":                                                        "vérifiez le dump (voir « vraisemblance de la taille ») ; l'archive déjà présente sur la destination est conservée",
	"the storage altered the file: check its disks and the network path":                                                                         "le stockage a altéré le fichier : vérifiez ses disques et le chemin réseau",
	"check the permissions on the destination directory; the archives stay until the next run":                                                   "vérifiez les droits sur le répertoire de la destination ; les archives restent jusqu'à la prochaine exécution",
	"the storage does not show what was written: check the path of the url":                                                                      "le stockage ne montre pas ce qui a été écrit : vérifiez le chemin de l'url",
	// The SPEC's example (section 5), which the mail's fixtures use.
	"free space on nas or lower keep_days": "libérez de la place sur nas ou réduisez keep_days",

	// internal/source: https-zip
	"the file received is not a valid zip":                                                                             "le fichier reçu n'est pas un zip valide",
	"the server sent an empty file: check that the export ran on the source server":                                    "le serveur a envoyé un fichier vide : vérifiez que l'export a bien tourné sur le serveur source",
	"the server sent a web page instead of the zip (a login or error page?): open the URL in a browser":                "le serveur a envoyé une page web au lieu du zip (une page de connexion ou d'erreur ?) : ouvrez l'URL dans un navigateur",
	"the zip is truncated or damaged: the export may still have been running, or the transfer was cut":                 "le zip est tronqué ou abîmé : l'export était peut-être encore en cours, ou le transfert a été coupé",
	"the file received is not a zip: check the url of [job.source]":                                                    "le fichier reçu n'est pas un zip : vérifiez l'url de [job.source]",
	"raise max_size in [job.source] if the dump really grew":                                                           "augmentez max_size dans [job.source] si le dump a vraiment grossi",
	"the export changed: fix expect in [job.source] if the dump was renamed, or check the export on the source server": "l'export a changé : corrigez expect dans [job.source] si le dump a été renommé, ou vérifiez l'export sur le serveur source",
	"a zip bomb or a dump that truly grew: raise max_size in [job.source] only if you expect that size":                "une bombe zip, ou un dump qui a vraiment grossi : n'augmentez max_size dans [job.source] que si vous attendez cette taille",
	"the server redirects to plain http: fix its configuration, or set allow_insecure = true if you accept that":       "le serveur redirige vers du http en clair : corrigez sa configuration, ou mettez allow_insecure = true si vous l'acceptez",
	"the server refused the credentials: check username and password (or the Authorization header) of [job.source]":    "le serveur a refusé les identifiants : vérifiez username et password (ou l'en-tête Authorization) de [job.source]",
	"nothing at that URL: check the url of [job.source], and that the export was produced last night":                  "rien à cette URL : vérifiez l'url de [job.source], et que l'export a bien été produit cette nuit",
	"the server failed: check the web application's logs on the source server":                                         "le serveur est en erreur : consultez les journaux de l'application web sur le serveur source",
	"the server did not send the dump: open the URL in a browser to see its answer":                                    "le serveur n'a pas envoyé le dump : ouvrez l'URL dans un navigateur pour voir sa réponse",

	// internal/dest: every destination
	"write it like \"sftp://user@host/path\" or \"file:///mnt/archives\"": "écrivez-la sous la forme \"sftp://user@host/path\" ou \"file:///mnt/archives\"",
	"give the user in one place only":                                     "indiquez l'utilisateur à un seul endroit",
	"remove it":                                                           "retirez cette clé",

	// internal/dest: file
	"the file changed while it was sent, or the storage truncated it: check free space there and run again": "le fichier a changé pendant l'envoi, ou le stockage l'a tronqué : vérifiez l'espace libre sur la destination et relancez",
	"write it like \"file:///mnt/archives\"":        "écrivez-la sous la forme \"file:///mnt/archives\"",
	"the url must name a directory: check its path": "l'url doit désigner un répertoire : vérifiez son chemin",
	"the share is not mounted: mount it (mount -a, check /etc/fstab) before the run; gardien refuses to fill the local disk": "le partage n'est pas monté : montez-le (mount -a, vérifiez /etc/fstab) avant l'exécution ; gardien refuse de remplir le disque local",

	// internal/dest: sftp
	"write it like \"sftp://backup@nas.example.org:22/srv/archives\"":           "écrivez-la sous la forme \"sftp://backup@nas.example.org:22/srv/archives\"",
	"use a port number between 1 and 65535, usually 22":                         "indiquez un numéro de port entre 1 et 65535, en général 22",
	"set key_file to a private key without passphrase (or password_file)":       "indiquez dans key_file une clé privée sans phrase de passe (ou renseignez password_file)",
	"check the path, and that the file is readable by the user gardien runs as": "vérifiez le chemin, et que le fichier est lisible par l'utilisateur sous lequel tourne gardien",
	"give the private key (not the .pub), in OpenSSH or PEM format":             "indiquez la clé privée (pas le .pub), au format OpenSSH ou PEM",
	"keep only one of them": "n'en gardez qu'une",
	"paste one line of ssh-keyscan output (\"ssh-ed25519 AAAA…\"), or the SHA256:… fingerprint that ssh-keygen -l prints":                                                                                                              "collez une ligne de la sortie de ssh-keyscan (\"ssh-ed25519 AAAA…\"), ou l'empreinte SHA256:… qu'affiche ssh-keygen -l",
	"the server's key is not the one recorded: if the server was reinstalled, get its new fingerprint from its administrator and update known_hosts (or host_key); otherwise the connection may be intercepted, so send nothing there": "la clé du serveur n'est pas celle qui est enregistrée : si le serveur a été réinstallé, demandez sa nouvelle empreinte à son administrateur et mettez à jour known_hosts (ou host_key) ; sinon la connexion est peut-être interceptée : n'y envoyez rien",
	// The clauses of a refused login, joined by "; " as the case requires.
	"check the user":                     "vérifiez l'utilisateur",
	"check the password (password_file)": "vérifiez le mot de passe (password_file)",
	"the server's auth log (/var/log/auth.log) says why it refused":                                           "le journal d'authentification du serveur (/var/log/auth.log) dit pourquoi il a refusé",
	"the server accepted the login but does not offer SFTP: check the Subsystem sftp line of its sshd_config": "le serveur a accepté la connexion mais ne propose pas SFTP : vérifiez la ligne Subsystem sftp de son sshd_config",
	"the connection to the server broke off: check the network and the server's logs; the run can be retried": "la connexion au serveur a été coupée : vérifiez le réseau et les journaux du serveur ; une nouvelle exécution peut réussir",

	// internal/dest: ftps
	"use \"ftps://\" (explicit TLS, port 21) or \"ftps+implicit://\" (implicit TLS, port 990); only if the server truly has no TLS, set allow_insecure = true":                                                             "utilisez \"ftps://\" (TLS explicite, port 21) ou \"ftps+implicit://\" (TLS implicite, port 990) ; seulement si le serveur n'a vraiment pas de TLS, mettez allow_insecure = true",
	"use \"ftps://\" so that the server's certificate is checked against ca_file, or remove ca_file":                                                                                                                       "utilisez \"ftps://\" pour que le certificat du serveur soit vérifié avec ca_file, ou retirez ca_file",
	"use a port number between 1 and 65535, usually 21 (ftps://) or 990 (ftps+implicit://)":                                                                                                                                "indiquez un numéro de port entre 1 et 65535, en général 21 (ftps://) ou 990 (ftps+implicit://)",
	"set password_file to a file readable only by gardien's user that holds the password (or password = \"${FTP_PASSWORD}\")":                                                                                              "indiquez dans password_file un fichier, lisible par le seul utilisateur de gardien, qui contient le mot de passe (ou password = \"${FTP_PASSWORD}\")",
	"remove it; for a certificate from a private CA, set ca_file":                                                                                                                                                          "retirez cette clé ; pour un certificat émis par une autorité privée, renseignez ca_file",
	"give a PEM file, readable by gardien's user, holding the certificate of the authority that signed the server's certificate":                                                                                           "indiquez un fichier PEM, lisible par l'utilisateur de gardien, qui contient le certificat de l'autorité qui a signé celui du serveur",
	"the control connection works but the passive data connection does not: a firewall probably blocks the server's passive ports (vsftpd: pasv_min_port to pasv_max_port); open them between this machine and the server": "la connexion de contrôle fonctionne mais pas la connexion de données passive : un pare-feu bloque sans doute les ports passifs du serveur (vsftpd : de pasv_min_port à pasv_max_port) ; ouvrez-les entre cette machine et le serveur",
	"the server ended the session (421): it is restarting, overloaded, or closed an idle session; the run can be retried":                                                                                                  "le serveur a mis fin à la session (421) : il redémarre, il est surchargé, ou il a fermé une session inactive ; une nouvelle exécution peut réussir",
	"the server could not complete the transfer: its log says why; the run can be retried":                                                                                                                                 "le serveur n'a pas pu terminer le transfert : son journal dit pourquoi ; une nouvelle exécution peut réussir",
	"the FTP server's disk is full, or the user's quota is used up: free space there, or lower keep_days":                                                                                                                  "le disque du serveur FTP est plein, ou le quota de l'utilisateur est épuisé : libérez de la place, ou réduisez keep_days",
	"the server says the session is not logged in: check the user and the password":                                                                                                                                        "le serveur indique que la session n'est pas authentifiée : vérifiez l'utilisateur et le mot de passe",
	"the server turned the session away (421): too many connections, or it is shutting down; the run can be retried":                                                                                                       "le serveur a refusé la session (421) : trop de connexions, ou il est en cours d'arrêt ; une nouvelle exécution peut réussir",
	"the server does not offer explicit TLS: enable it (vsftpd: ssl_enable=YES); if it uses implicit TLS (usually port 990), write ftps+implicit://; only if it truly has no TLS, write ftp:// with allow_insecure = true": "le serveur ne propose pas le TLS explicite : activez-le (vsftpd : ssl_enable=YES) ; s'il utilise le TLS implicite (port 990 en général), écrivez ftps+implicit:// ; seulement s'il n'a vraiment pas de TLS, écrivez ftp:// avec allow_insecure = true",
	"the server accepted the connection but said nothing: if it expects implicit TLS (usually port 990), write ftps+implicit://; otherwise check that an FTP server listens there and is not overloaded":                   "le serveur a accepté la connexion mais n'a rien dit : s'il attend du TLS implicite (port 990 en général), écrivez ftps+implicit:// ; sinon vérifiez qu'un serveur FTP écoute bien à cette adresse et qu'il n'est pas surchargé",
	"the server requires TLS: write ftps:// (explicit TLS, port 21) or ftps+implicit:// (port 990), and remove allow_insecure":                                                                                             "le serveur exige TLS : écrivez ftps:// (TLS explicite, port 21) ou ftps+implicit:// (port 990), et retirez allow_insecure",
	"check the user and the password (password_file); the server's log (vsftpd: /var/log/vsftpd.log) says why it refused":                                                                                                  "vérifiez l'utilisateur et le mot de passe (password_file) ; le journal du serveur (vsftpd : /var/log/vsftpd.log) dit pourquoi il a refusé",
	"let the server protect data connections with TLS (vsftpd: ssl_enable=YES)":                                                                                                                                            "autorisez le serveur à protéger les connexions de données par TLS (vsftpd : ssl_enable=YES)",
	"the server answered without TLS: it probably expects explicit TLS (AUTH TLS, usually port 21): write ftps:// instead of ftps+implicit://":                                                                             "le serveur a répondu sans TLS, il attend sans doute du TLS explicite (AUTH TLS, port 21 en général) : écrivez ftps:// au lieu de ftps+implicit://",

	// internal/dest: smb
	"write it like \"smb://backup@nas.example.org/archives/gardien\": the share, then the directory inside it": "écrivez-la sous la forme \"smb://backup@nas.example.org/archives/gardien\" : le partage, puis le répertoire à l'intérieur",
	"use a port number between 1 and 65535, usually 445":                                                       "indiquez un numéro de port entre 1 et 65535, en général 445",
	"name the directory from the share's root, without '.', '..' or '//'":                                      "désignez le répertoire depuis la racine du partage, sans '.', '..' ni '//'",
	"leave out \\ : * ? \" < > |":                                                                              "n'utilisez pas \\ : * ? \" < > |",
	"give the domain in one place only":                                                                        "indiquez le domaine à un seul endroit",
	"check the user, its password (password_file) and its domain; on a Samba server, `pdbedit -L` lists the users and `smbpasswd -a USER` sets a password; the server's log says why it refused":                   "vérifiez l'utilisateur, son mot de passe (password_file) et son domaine ; sur un serveur Samba, `pdbedit -L` liste les utilisateurs et `smbpasswd -a USER` définit un mot de passe ; le journal du serveur dit pourquoi il a refusé",
	"the password is right but the account may not log in now (disabled, locked out, expired password or restricted hours): ask the server's administrator to unlock it or to set a password that does not expire": "le mot de passe est bon mais le compte ne peut pas se connecter pour l'instant (désactivé, verrouillé, mot de passe expiré ou horaires restreints) : demandez à l'administrateur du serveur de le débloquer, ou de définir un mot de passe qui n'expire pas",
	"the server accepts no more connections now: retry later, or raise its connection limit":                                                                                                                       "le serveur n'accepte plus de connexions pour l'instant : réessayez plus tard, ou relevez sa limite de connexions",
	"check the port: SMB listens on 445": "vérifiez le port : SMB écoute sur le 445",
	"the server closed the connection during the login: it may speak only SMB1 (enable SMB2 or SMB3 on it: gardien does not speak SMB1), refuse this machine (\"hosts allow\"), or have restarted; the run can be retried":                                              "le serveur a fermé la connexion pendant l'authentification : soit il ne parle que SMB1 (activez-y SMB2 ou SMB3 : gardien ne parle pas SMB1), soit il refuse cette machine (\"hosts allow\"), soit il a redémarré ; une nouvelle exécution peut réussir",
	"the server closed the session (idle timeout, restart or an administrator): the run can be retried":                                                                                                                                                                 "le serveur a fermé la session (inactivité, redémarrage ou intervention d'un administrateur) : une nouvelle exécution peut réussir",
	"the share's storage is write-protected: check the server's disk":                                                                                                                                                                                                   "le stockage du partage est protégé en écriture : vérifiez le disque du serveur",
	"another program holds that file open on the server, or an earlier connection of gardien that was cut while it wrote the file and that the server has not closed yet: wait a few minutes (or close that session on the server: smbstatus lists them) and run again": "un autre programme garde ce fichier ouvert sur le serveur, ou bien une connexion précédente de gardien, coupée pendant qu'elle l'écrivait, que le serveur n'a pas encore fermée : attendez quelques minutes (ou fermez cette session sur le serveur : smbstatus les liste) et relancez",
	"the server is out of resources or connections: retry later":                                                                                                                                                                                                        "le serveur manque de ressources ou de connexions : réessayez plus tard",
	"change the archive name: an SMB share refuses \\ / : * ? \" < > |":                                                                                                                                                                                                 "changez le nom de l'archive : un partage SMB refuse \\ / : * ? \" < > |",

	// internal/dest: webdav
	"write it like \"webdavs://cloud.example.org/remote.php/dav/files/backup/archives\"":                                                                                         "écrivez-la sous la forme \"webdavs://cloud.example.org/remote.php/dav/files/backup/archives\"",
	"use the server's host name (add it to /etc/hosts if needed)":                                                                                                                "utilisez le nom d'hôte du serveur (ajoutez-le à /etc/hosts si besoin)",
	"use a port number between 1 and 65535, or none for the default (443 for webdavs://)":                                                                                        "indiquez un numéro de port entre 1 et 65535, ou aucun pour le port par défaut (443 pour webdavs://)",
	"remove it: the url names a folder, like \"webdavs://cloud.example.org/remote.php/dav/files/backup/archives\"":                                                               "retirez-les : l'url désigne un dossier, comme \"webdavs://cloud.example.org/remote.php/dav/files/backup/archives\"",
	"use webdavs:// (HTTPS), or set allow_insecure = true if this network is trusted":                                                                                            "utilisez webdavs:// (HTTPS), ou mettez allow_insecure = true si ce réseau est de confiance",
	"use webdavs://, or remove ca_file":                                                                                                                                          "utilisez webdavs://, ou retirez ca_file",
	"remove allow_insecure; for a certificate from a private authority, set ca_file to that authority's certificate (PEM)":                                                       "retirez allow_insecure ; pour un certificat émis par une autorité privée, indiquez dans ca_file le certificat (PEM) de cette autorité",
	"remove it: webdav logs in with username and password (password_file)":                                                                                                       "retirez cette clé : webdav se connecte avec username et password (password_file)",
	"set password_file to a file holding the password (mode 600), or password = \"${WEBDAV_PASSWORD}\"":                                                                          "indiquez dans password_file un fichier qui contient le mot de passe (mode 600), ou password = \"${WEBDAV_PASSWORD}\"",
	"set ca_file to the PEM certificate of the authority that signed the server's certificate, readable by the user gardien runs as":                                             "indiquez dans ca_file le certificat PEM de l'autorité qui a signé celui du serveur, lisible par l'utilisateur sous lequel tourne gardien",
	"the login expired during the upload (a Digest nonce, or a session): the run can be retried":                                                                                 "l'authentification a expiré pendant l'envoi (nonce Digest ou session) : une nouvelle exécution peut réussir",
	"the url must name a folder (a WebDAV collection): check its path":                                                                                                           "l'url doit désigner un dossier (une collection WebDAV) : vérifiez son chemin",
	"the server's certificate is not signed by an authority this machine knows: set ca_file to the certificate (PEM) of the private authority that signed it":                    "le certificat du serveur n'est pas signé par une autorité que cette machine connaît : indiquez dans ca_file le certificat (PEM) de l'autorité privée qui l'a signé",
	"the server only offers an authentication gardien does not speak: enable Basic or Digest authentication for this folder on the server":                                       "le serveur ne propose qu'une authentification que gardien ne connaît pas : activez l'authentification Basic ou Digest pour ce dossier sur le serveur",
	"the server asks for a login: set username and password_file":                                                                                                                "le serveur demande une authentification : renseignez username et password_file",
	"the server does not accept this WebDAV request here: check that the url points to a WebDAV folder (Apache: Dav On; Nextcloud: /remote.php/dav/files/USER/…)":                "le serveur n'accepte pas cette requête WebDAV ici : vérifiez que l'url désigne un dossier WebDAV (Apache : Dav On ; Nextcloud : /remote.php/dav/files/USER/…)",
	"the server refuses files this large: raise its limit (Apache LimitRequestBody, nginx client_max_body_size, PHP upload_max_filesize)":                                        "le serveur refuse les fichiers de cette taille : relevez sa limite (Apache LimitRequestBody, nginx client_max_body_size, PHP upload_max_filesize)",
	"another WebDAV client holds a lock on the file; the run can be retried":                                                                                                     "un autre client WebDAV a verrouillé le fichier ; une nouvelle exécution peut réussir",
	"the server's disk or the account's quota is full: free space there, or lower keep_days":                                                                                     "le disque du serveur ou le quota du compte est plein : libérez de la place, ou réduisez keep_days",
	"the server redirects elsewhere: put the address it gives in url (webdavs:// for https)":                                                                                     "le serveur redirige ailleurs : mettez dans url l'adresse qu'il indique (webdavs:// pour https)",
	"the server refused the destination of the MOVE: a reverse proxy in front of it may change the host name or the scheme; use in url the address the server itself answers to": "le serveur a refusé la destination du MOVE : un reverse proxy placé devant lui change peut-être le nom d'hôte ou le schéma ; mettez dans url l'adresse à laquelle le serveur lui-même répond",
	"the server failed: check its error log; the run can be retried":                                                                                                             "le serveur est en erreur : consultez son journal d'erreurs ; une nouvelle exécution peut réussir",
	"the server refused the request: its error log says why":                                                                                                                     "le serveur a refusé la requête : son journal d'erreurs dit pourquoi",
	"the file changed while it was sent: run again":                                                                                                                              "le fichier a changé pendant l'envoi : relancez",

	// internal/report: sending the mail
	"check mail.from and mail.to: each must be a mail address":                                                                                                                                    "vérifiez mail.from et mail.to : chacun doit être une adresse mail",
	"the message could not be written; see the cause":                                                                                                                                             "le message n'a pas pu être écrit ; voyez la cause",
	"install a local MTA (apt install postfix, or msmtp-mta), set mail.sendmail to its sendmail program, or use transport = \"smtp\"":                                                             "installez un MTA local (apt install postfix, ou msmtp-mta), indiquez dans mail.sendmail son programme sendmail, ou utilisez transport = \"smtp\"",
	"no local MTA: install one (apt install postfix, or msmtp-mta), set mail.sendmail to its sendmail program, or use transport = \"smtp\"":                                                       "pas de MTA local : installez-en un (apt install postfix, ou msmtp-mta), indiquez dans mail.sendmail son programme sendmail, ou utilisez transport = \"smtp\"",
	"the local MTA did not take the message in time: check that it runs (systemctl status postfix) or raise mail.timeout":                                                                         "le MTA local n'a pas pris le message à temps : vérifiez qu'il tourne (systemctl status postfix) ou augmentez mail.timeout",
	"the local MTA refused the message: see its message above and its log (/var/log/mail.log, journalctl -u postfix)":                                                                             "le MTA local a refusé le message : voyez son message ci-dessus et son journal (/var/log/mail.log, journalctl -u postfix)",
	"the local MTA complained: see its message above and its log (/var/log/mail.log, journalctl -u postfix)":                                                                                      "le MTA local s'est plaint : voyez son message ci-dessus et son journal (/var/log/mail.log, journalctl -u postfix)",
	"gardien never sends a password over an unencrypted connection: use security = \"starttls\" (port 587) or \"tls\" (port 465), or remove username if the server relays without authentication": "gardien n'envoie jamais de mot de passe sur une connexion non chiffrée : utilisez security = \"starttls\" (port 587) ou \"tls\" (port 465), ou retirez username si le serveur relaie sans authentification",
	"the server refused the user name or password: check mail.username and mail.password (or password_file); some providers require an application password":                                      "le serveur a refusé le nom d'utilisateur ou le mot de passe : vérifiez mail.username et mail.password (ou password_file) ; certains fournisseurs exigent un mot de passe d'application",
	"the server offers no authentication here: many offer it only after STARTTLS (security = \"starttls\"); or remove username if it relays without authentication":                               "le serveur ne propose pas d'authentification ici : beaucoup ne la proposent qu'après STARTTLS (security = \"starttls\") ; ou retirez username s'il relaie sans authentification",
	"the server offers no authentication method gardien knows (CRAM-MD5, PLAIN, LOGIN) on this connection: use security = \"starttls\" or \"tls\"":                                                "le serveur ne propose sur cette connexion aucune méthode d'authentification que gardien connaisse (CRAM-MD5, PLAIN, LOGIN) : utilisez security = \"starttls\" ou \"tls\"",
	"the server does not offer STARTTLS on this port: use security = \"tls\" on port 465, or security = \"none\" on a trusted network":                                                            "le serveur ne propose pas STARTTLS sur ce port : utilisez security = \"tls\" sur le port 465, ou security = \"none\" sur un réseau de confiance",
	"the server does not speak TLS at once on this port: security = \"tls\" is for port 465; use security = \"starttls\" for port 587 or 25":                                                      "le serveur ne parle pas TLS dès la connexion sur ce port : security = \"tls\" est pour le port 465 ; utilisez security = \"starttls\" pour le port 587 ou 25",
	"port 465 expects TLS from the first byte: set security = \"tls\"":                                                                                                                            "le port 465 attend du TLS dès le premier octet : mettez security = \"tls\"",
	"the server refused the sender: many servers accept only from = the account's own address (mail.from)":                                                                                        "le serveur a refusé l'expéditeur : beaucoup de serveurs n'acceptent que l'adresse du compte lui-même comme expéditeur (mail.from)",
	"the server refused a recipient: check mail.to, and that the server relays for this account":                                                                                                  "le serveur a refusé un destinataire : vérifiez mail.to, et que le serveur relaie pour ce compte",
	"the server refused the message: see its reply above":                                                                                                                                         "le serveur a refusé le message : voyez sa réponse ci-dessus",

	// internal/notify
	"the monitoring service does not know this URL: check the check's UUID or push token in [notify]": "le service de supervision ne connaît pas cette URL : vérifiez l'UUID du contrôle ou le jeton push dans [notify]",
	"the monitoring service refused the ping: check the URL's token in [notify]":                      "le service de supervision a refusé le ping : vérifiez le jeton de l'URL dans [notify]",
	"the monitoring service refused the ping: check the URL in [notify]":                              "le service de supervision a refusé le ping : vérifiez l'URL dans [notify]",
	"the monitoring service is in trouble: it will report the missing ping itself":                    "le service de supervision est en difficulté : il signalera lui-même le ping manquant",

	// cmd/gardien
	"run it as root (sudo gardien cron --install), or pass --file":                              "lancez la commande en root (sudo gardien cron --install), ou passez --file",
	"run it as root (sudo gardien cron --uninstall)":                                            "lancez la commande en root (sudo gardien cron --uninstall)",
	"run it as root (sudo gardien systemd --install), or pass --dir":                            "lancez la commande en root (sudo gardien systemd --install), ou passez --dir",
	"is cron installed? (apt install cron) Without cron, use gardien systemd or gardien daemon": "cron est-il installé ? (apt install cron) Sans cron, utilisez gardien systemd ou gardien daemon",
	"pass --binary /usr/bin/gardien":                                                            "passez --binary /usr/bin/gardien",
	"set [log] file to a path, such as \"/var/log/gardien/gardien.log\"":                        "indiquez un chemin dans file de [log], par exemple \"/var/log/gardien/gardien.log\"",
	"set [log] file to a writable path, or \"-\" for stderr only":                               "indiquez dans file de [log] un chemin où gardien peut écrire, ou \"-\" pour n'écrire que sur stderr",
	"set transport = \"smtp\" or \"sendmail\" in [mail]":                                        "mettez transport = \"smtp\" ou \"sendmail\" dans [mail]",
}

// hintPatternsFR: the hints that name a value (a path, a user, a host). The first
// that matches wins: put the specific before the general.
var hintPatternsFR = [][2]string{
	// internal/job
	{"see the destination names with `gardien list {s}`", "voyez les noms des destinations avec `gardien list {1}`"},
	{"see what each destination holds with `gardien list {s}`", "voyez ce que contient chaque destination avec `gardien list {1}`"},

	// internal/dest: every destination
	{"use one of {s}", "utilisez l'un de ces schémas : {1}"},

	// internal/dest: file
	{"write three slashes before an absolute path: \"file:///{s}{s}\"", "écrivez trois barres obliques avant un chemin absolu : \"file:///{1}{2}\""},
	{"if it is a mounted share, mount it (mount -a, check /etc/fstab); otherwise create it: mkdir -p {s}",
		"s'il s'agit d'un partage monté, montez-le (mount -a, vérifiez /etc/fstab) ; sinon créez le répertoire : mkdir -p {1}"},

	// internal/dest: sftp
	{"put it in the url (\"sftp://backup@{s}/path\") or set username", "mettez-le dans l'url (\"sftp://backup@{1}/path\") ou renseignez username"},
	{"use a key without passphrase, readable only by gardien's user: ssh-keygen -t ed25519 -N '' -f {s} && chmod 600 {s} (or remove the passphrase with ssh-keygen -p -N '' -f {s})",
		"utilisez une clé sans phrase de passe, lisible par le seul utilisateur de gardien : ssh-keygen -t ed25519 -N '' -f {1} && chmod 600 {2} (ou retirez la phrase de passe avec ssh-keygen -p -N '' -f {3})"},
	{"create it with ssh-keyscan -p {s} {s} >> {s}, and compare the fingerprint with the server's",
		"créez-le avec ssh-keyscan -p {1} {2} >> {3}, et comparez l'empreinte avec celle du serveur"},
	{"run ssh-keyscan -p {s} {s} >> {s}, compare the fingerprint (ssh-keygen -lf {s}) with the server's, and run again",
		"lancez ssh-keyscan -p {1} {2} >> {3}, comparez l'empreinte (ssh-keygen -lf {4}) avec celle du serveur, et relancez"},
	{"run ssh-keyscan -p {s} {s} >> /etc/gardien/known_hosts, compare the fingerprint with the server's, and set known_hosts",
		"lancez ssh-keyscan -p {1} {2} >> /etc/gardien/known_hosts, comparez l'empreinte avec celle du serveur, et renseignez known_hosts"},
	{"the public key of key_file must be in ~{s}/.ssh/authorized_keys on the server",
		"la clé publique de key_file doit figurer dans ~{1}/.ssh/authorized_keys sur le serveur"},

	// internal/dest: smb (before the general url of ftps below)
	{"put it in the url (\"smb://backup@{s}/share/path\") or set username", "mettez-le dans l'url (\"smb://backup@{1}/share/path\") ou renseignez username"},

	// internal/dest: ftps
	{"write it like \"{s}://backup@nas.example.org/srv/archives\"", "écrivez-la sous la forme \"{1}://backup@nas.example.org/srv/archives\""},
	{"put it in the url (\"{s}://backup@{s}/path\") or set username", "mettez-le dans l'url (\"{1}://backup@{2}/path\") ou renseignez username"},
	{"{s} does not exist and user {q} cannot create it: create it on the server and let the user write there, or correct the path of the url (on a server that chroots its users, / is the user's home)",
		"{1} n'existe pas et l'utilisateur {2} ne peut pas le créer : créez-le sur le serveur et donnez à l'utilisateur le droit d'y écrire, ou corrigez le chemin de l'url (sur un serveur qui enferme ses utilisateurs dans un chroot, / est leur répertoire personnel)"},
	{"the server refused: check that user {q} may write in its login directory (owner and mode of the directory; vsftpd needs write_enable=YES)",
		"le serveur a refusé : vérifiez que l'utilisateur {1} peut écrire dans son répertoire de connexion (propriétaire et droits du répertoire ; vsftpd exige write_enable=YES)"},
	{"the server refused: check that user {q} may write in {s} (owner and mode of the directory; vsftpd needs write_enable=YES)",
		"le serveur a refusé : vérifiez que l'utilisateur {1} peut écrire dans {2} (propriétaire et droits du répertoire ; vsftpd exige write_enable=YES)"},
	{"the server's certificate is not signed by an authority this machine trusts: set ca_file to the PEM certificate of the authority that signed it (`openssl s_client -connect {s} -showcerts` shows the chain)",
		"le certificat du serveur n'est pas signé par une autorité reconnue par cette machine : indiquez dans ca_file le certificat PEM de l'autorité qui l'a signé (`openssl s_client -connect {1} -showcerts` affiche la chaîne)"},
	{"the server's certificate is not signed by an authority this machine trusts: set ca_file to the PEM certificate of the authority that signed it (`openssl s_client -starttls ftp -connect {s} -showcerts` shows the chain)",
		"le certificat du serveur n'est pas signé par une autorité reconnue par cette machine : indiquez dans ca_file le certificat PEM de l'autorité qui l'a signé (`openssl s_client -starttls ftp -connect {1} -showcerts` affiche la chaîne)"},

	// internal/dest: smb
	{"set password_file to a file readable only by gardien's user that holds the password of {s} on the server",
		"indiquez dans password_file un fichier, lisible par le seul utilisateur de gardien, qui contient le mot de passe de {1} sur le serveur"},
	{"the first part of the url's path is the share's name, not a directory on the server's disk: `smbclient -L //{s} -p {s} -U {s}` lists the shares; check its spelling and that the share is enabled",
		"la première partie du chemin de l'url est le nom du partage, pas un répertoire du disque du serveur : `smbclient -L //{1} -p {2} -U {3}` liste les partages ; vérifiez son orthographe et que le partage est activé"},
	{"the server refuses {s} on that share: check its \"valid users\" and ACL; if the server does not know {s} at all, it may have logged in as guest instead (Samba's \"map to guest = bad user\"), whom the share refuses: create the user (Samba: smbpasswd -a {s}) or fix username and domain",
		"le serveur refuse {1} sur ce partage : vérifiez ses \"valid users\" et ses ACL ; si le serveur ne connaît pas du tout {2}, il a pu ouvrir une session d'invité à la place (\"map to guest = bad user\" de Samba), que le partage refuse : créez l'utilisateur (Samba : smbpasswd -a {3}) ou corrigez username et domain"},
	{"free space on the share //{s}/{s} (or raise {s}'s quota there), or lower keep_days",
		"libérez de la place sur le partage //{1}/{2} (ou relevez-y le quota de {3}), ou réduisez keep_days"},
	{"{s} may not do that on the share //{s}/{s}: check that the share is not \"read only\" (and its \"write list\"), its ACL, and the permissions of the directory on the server's disk",
		"{1} n'a pas le droit de faire cela sur le partage //{2}/{3} : vérifiez que le partage n'est pas en \"read only\" (et sa \"write list\"), ses ACL, et les droits du répertoire sur le disque du serveur"},

	// internal/dest: webdav
	{"set username, or put it in the url (\"webdavs://backup@{s}{s}\")", "renseignez username, ou mettez-le dans l'url (\"webdavs://backup@{1}{2}\")"},
	{"the server's certificate is not signed by the authority in ca_file {s}: set ca_file to the certificate (PEM) of the authority that signed it",
		"le certificat du serveur n'est pas signé par l'autorité de ca_file {1} : indiquez dans ca_file le certificat (PEM) de l'autorité qui l'a signé"},
	{"the server refused user {q}: check username and password (password_file); with Nextcloud and two-factor authentication, use an app password",
		"le serveur a refusé l'utilisateur {1} : vérifiez username et le mot de passe (password_file) ; avec Nextcloud et l'authentification à deux facteurs, utilisez un mot de passe d'application"},
	{"permission denied: user {q} may not do this in {s}; check the folder's sharing and permissions on the server",
		"permission refusée : l'utilisateur {1} n'a pas le droit de faire cela dans {2} ; vérifiez le partage et les droits du dossier sur le serveur"},
	{"the file is not in {s}: `gardien list` shows the archives there", "le fichier n'est pas dans {1} : `gardien list` montre les archives qui s'y trouvent"},
	{"the folder {s} does not exist on the server and could not be created: check the path in url (Nextcloud: /remote.php/dav/files/USER/folder), and that the share exists",
		"le dossier {1} n'existe pas sur le serveur et n'a pas pu être créé : vérifiez le chemin dans url (Nextcloud : /remote.php/dav/files/USER/folder), et que le partage existe"},
}

// detailsFR: the fixed details and causes the job writes.
var detailsFR = map[string]string{
	"not run because the destination is unreachable":                                       "car la destination est injoignable",
	"not run because the transfer failed":                                                  "car le transfert a échoué",
	"not run because the dump looks suspicious (see plausible size)":                       "car le dump paraît suspect (voir « vraisemblance de la taille »)",
	"the dump is unchanged; nothing is sent, nothing is deleted (on_unchanged = \"skip\")": "le dump n'a pas changé : rien n'est envoyé, rien n'est supprimé (on_unchanged = \"skip\")",
	"write, list, read and delete work":                                                    "écriture, liste, lecture et suppression fonctionnent",
	"transport none: no mail is sent":                                                      "transport none : aucun mail n'est envoyé",
}

// detailPatternsFR: the details and causes that carry values. Sizes, durations,
// dates and decimals are converted by their placeholder; a count takes the French
// plural with {N|singular;plural}. The first that matches wins.
var detailPatternsFR = [][2]string{
	// url reachable, zip downloaded, expected file present
	{"HTTP {s}, {size} in {dur}", "HTTP {1}, {2} en {3}"},
	{"HTTP {s}, announced {size}", "HTTP {1}, {2} annoncés"},
	{"HTTP {s}, {size} announced", "HTTP {1}, {2} annoncés"},
	{"HTTP {s}", "HTTP {1}"},
	{"{size}, {n} entries", "{1}, {2|entrée;entrées}"},
	{"{s}, {size}, CRC-32 {x} ok", "{1}, {2}, CRC-32 {3} correct"},
	{"{s}, {size}, same size and CRC-32 ({x}) as in the last run: not re-read",
		"{1}, {2}, même taille et même CRC-32 ({3}) qu'à la dernière exécution : non relu"},

	// changed since last run, plausible size
	{"first run, sha256 {s}", "première exécution, sha256 {1}"},
	{"sha256 {s} (was {s})", "sha256 {1} (avant : {2})"},
	{"the dump is unchanged since run {s} of {date} (same size and CRC-32 as then; sha256 then {s})",
		"le dump n'a pas changé depuis l'exécution {1} du {2} (même taille et même CRC-32 ; sha256 relevé alors : {3})"},
	{"the dump is unchanged since run {s} of {date} (same sha256; sha256 then {s})",
		"le dump n'a pas changé depuis l'exécution {1} du {2} (même sha256 : {3})"},
	{"unchanged since run {s} of {date} (same size and CRC-32 as then; sha256 then {s}), archived anyway (on_unchanged = \"archive\")",
		"dump inchangé depuis l'exécution {1} du {2} (même taille et même CRC-32 ; sha256 relevé alors : {3}), archivé quand même (on_unchanged = \"archive\")"},
	{"unchanged since run {s} of {date} (same sha256; sha256 then {s}), archived anyway (on_unchanged = \"archive\")",
		"dump inchangé depuis l'exécution {1} du {2} (même sha256 : {3}), archivé quand même (on_unchanged = \"archive\")"},
	{"{size} (was {size})", "{1} (avant : {2})"},
	{"{size}", "{1}"},
	{"the dump shrank from {size} to {size}, more than max_shrink {g}%", "le dump a diminué de plus de {3} % (max_shrink) : de {1} à {2}"},
	{"the dump is {size}, less than min_size {size}", "le dump ne fait que {1}, moins que min_size ({2})"},

	// archive created, transfer done
	{"{s}, {size} in {dur}, sha256 read back ok", "{1}, {2} en {3}, sha256 vérifié à la relecture"},
	{"{s}, {size} in {dur}", "{1}, {2} en {3}"},
	{"{s} is already there: the suspicious archive does not replace it", "{1} est déjà présente : l'archive suspecte ne la remplace pas"},
	{"dry run: would upload {s} ({size})", "simulation : {1} ({2}) serait envoyée"},

	// retention applied
	{"{n} kept, {n} deleted, {n} stale temporary file(s) removed",
		"{1|archive conservée;archives conservées}, {2|supprimée;supprimées}, {3|fichier temporaire abandonné supprimé;fichiers temporaires abandonnés supprimés}"},
	{"{n} kept, {n} would delete, {n} stale temporary file(s) removed",
		"{1|archive conservée;archives conservées}, {2|serait supprimée;seraient supprimées}, {3|fichier temporaire abandonné supprimé;fichiers temporaires abandonnés supprimés}"},
	{"{n} kept, {n} deleted", "{1|archive conservée;archives conservées}, {2|supprimée;supprimées}"},
	{"{n} kept, {n} would delete", "{1|archive conservée;archives conservées}, {2|serait supprimée;seraient supprimées}"},
	{"{n} kept (keep_days = 0 keeps every archive), {n} stale temporary file(s) removed",
		"{1|archive conservée;archives conservées} (keep_days = 0 les conserve toutes), {2|fichier temporaire abandonné supprimé;fichiers temporaires abandonnés supprimés}"},
	{"{n} kept (keep_days = 0 keeps every archive)", "{1|archive conservée;archives conservées} (keep_days = 0 les conserve toutes)"},
	{"{n} deletion(s) failed", "{1|suppression a échoué;suppressions ont échoué}"},

	// A file and its size, as sources write it (and the mail's fixtures): last, as
	// the most general.
	{"{s}, {size}", "{1}, {2}"},

	// gardien check: the mail
	{"{s} -t -i", "{1} -t -i"},
	{"{s}, security {s}, logged in as {s}", "{1}, security {2}, connecté en tant que {3}"},
	{"{s}, security {s}", "{1}, security {2}"},
	{"to {s} through {s}", "envoyé à {1} par {2}"},
}
