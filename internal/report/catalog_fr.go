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
	// A hint may be made of clauses ("check the user; check the password"), a detail
	// of a list ("3 files, 1.2 MB, 2 folders"): what the catalogue lacks as a whole, it
	// translates piece by piece.
	frenchHints   = newCatalog(hintsFR, hintPatternsFR, separator{"; ", nb + "; "}).withWords(valueWordsFR)
	frenchDetails = newCatalog(detailsFR, detailPatternsFR, separator{"; ", nb + "; "}, separator{", ", ", "}).withWords(valueWordsFR)
)

// valueWordsFR: what gardien writes inside a value that a pattern takes as {s}.
var valueWordsFR = map[string]string{
	"local socket":      "socket local",      // a PostgreSQL address without host (pg.Conninfo.Describe)
	"the role":          "le rôle",           // a PostgreSQL role not named (pg.Classify)
	"the shell command": "la commande shell", // a command source run by a shell
}

// hintsFR: every fixed hint, word for word in meaning.
var hintsFR = map[string]string{
	"for a slow link, raise connect_timeout in dsn (timeout bounds it)": "pour un lien lent, augmentez connect_timeout dans dsn (timeout le borne)",
	"gardien refuses to fill the local disk":                            "gardien refuse de remplir le disque local",
	// Staging disk, stalled download, unsafe zip (internal/job/space.go, internal/source).
	"free space there, or set staging_dir in [job.archive] to a larger disk: the run fails if the disk fills up":                                                   "libérez de la place, ou placez staging_dir ([job.archive]) sur un disque plus grand : l'exécution échoue si le disque se remplit",
	"the local disk of staging_dir is full: free space there, or set staging_dir in [job.archive] to a disk with room for the zip and the archive":                 "le disque local de staging_dir est plein : libérez de la place, ou placez staging_dir ([job.archive]) sur un disque qui peut contenir le zip et l'archive",
	"the server stopped sending in the middle of the download: check the export server's load and the network":                                                     "le serveur a cessé d'envoyer au milieu du téléchargement : vérifiez la charge du serveur d'export et le réseau",
	"raise idle_timeout in [job.source] if it is only slow":                                                                                                        "augmentez idle_timeout dans [job.source] s'il est seulement lent",
	"a broken or hostile export: gardien archives nothing from it":                                                                                                 "un export cassé ou malveillant : gardien n'en archive rien",
	"check how the zip is made on the source server":                                                                                                               "vérifiez comment le zip est produit sur le serveur source",
	"the server could not write the file, most often because its disk is full or the user's quota is used up: check the free space there (df), or lower keep_days": "le serveur n'a pas pu écrire le fichier, le plus souvent parce que son disque est plein ou que le quota de l'utilisateur est épuisé : vérifiez l'espace libre (df), ou réduisez keep_days",
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
	"wait for the other run to finish; a run killed with kill -9 releases the lock by itself":                                                                                                            "attendez la fin de l'autre exécution ; une exécution tuée par kill -9 libère le verrou d'elle-même",
	"check that state.dir exists and is writable by the user gardien runs as":                                                                                                                            "vérifiez que state.dir existe et que l'utilisateur sous lequel tourne gardien peut y écrire",
	"check staging_dir in [job.archive]: it must be writable and have room for one archive":                                                                                                              "vérifiez staging_dir dans [job.archive] : gardien doit pouvoir y écrire, et y trouver la place d'une archive",
	"the zip entry is truncated: the export may have been cut; check it on the source server":                                                                                                            "l'entrée du zip est tronquée : l'export a peut-être été interrompu ; vérifiez-le sur le serveur source",
	"the zip entry is corrupt (CRC-32 or size mismatch): check the export on the source server, then run again":                                                                                          "l'entrée du zip est corrompue (CRC-32 ou taille incorrects) : vérifiez l'export sur le serveur source, puis relancez",
	"the previous run's record is unreadable: this run is treated as the first":                                                                                                                          "l'enregistrement de l'exécution précédente est illisible : cette exécution est traitée comme la première",
	"the source served the same dump again: check that the export ran on the source server":                                                                                                              "la source a servi le même dump qu'avant : vérifiez que l'export a bien tourné sur le serveur source",
	"a dump that shrinks overnight is the classic silent failure: check the export on the source server; retention does not run on this archive, and the next run compares with the last plausible dump": "un dump qui rétrécit du jour au lendemain est la panne silencieuse classique : vérifiez l'export sur le serveur source ; l'archive est envoyée, mais aucune ancienne archive n'est supprimée, et la prochaine exécution se compare au dernier dump vraisemblable",
	"check that state.dir is writable and has room; the next run will treat its dump as the first":                                                                                                       "vérifiez que gardien peut écrire dans state.dir et qu'il y reste de la place ; la prochaine exécution traitera son dump comme le premier",
	"check the dump (see plausible size); the archive already on the destination is kept":                                                                                                                "vérifiez le dump (voir « vraisemblance de la taille ») ; l'archive déjà présente sur la destination est conservée",
	"the storage altered the file: check its disks and the network path":                                                                                                                                 "le stockage a altéré le fichier : vérifiez ses disques et le chemin réseau",
	"check the permissions on the destination directory; the archives stay until the next run":                                                                                                           "vérifiez les droits sur le répertoire de la destination ; les archives restent jusqu'à la prochaine exécution",
	"the storage does not show what was written: check the path of the url":                                                                                                                              "le stockage ne montre pas ce qui a été écrit : vérifiez le chemin de l'url",
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

	// internal/dest: s3
	"write it like \"s3://bucket/prefix\", with the server in endpoint":                                                                                                                              "écrivez-la sous la forme \"s3://bucket/prefix\", avec le serveur dans endpoint",
	"remove it from the url: s3 logs in with access_key and secret_key (or secret_key_file)":                                                                                                         "retirez-le de l'url : s3 se connecte avec access_key et secret_key (ou secret_key_file)",
	"put the server in endpoint (\"minio.example.org:9000\") and write the url like \"s3://bucket/prefix\"":                                                                                          "mettez le serveur dans endpoint (\"minio.example.org:9000\") et écrivez l'url sous la forme \"s3://bucket/prefix\"",
	"give the options as keys of the destination (endpoint, region, path_style)":                                                                                                                     "donnez les options comme clés de la destination (endpoint, region, path_style)",
	"a bucket name has 3 to 63 lowercase letters, digits, dots and hyphens, and starts and ends with a letter or a digit":                                                                            "un nom de bucket compte de 3 à 63 minuscules, chiffres, points et tirets, et commence et finit par une lettre ou un chiffre",
	"write the prefix like \"s3://bucket/archives/db\"":                                                                                                                                              "écrivez le préfixe sous la forme \"s3://bucket/archives/db\"",
	"use https (\"https://s3.amazonaws.com\"), or set allow_insecure = true on a network you trust":                                                                                                  "utilisez https (\"https://s3.amazonaws.com\"), ou mettez allow_insecure = true sur un réseau de confiance",
	"use https (\"https://\"), or set allow_insecure = true on a network you trust":                                                                                                                  "utilisez https (\"https://\"), ou mettez allow_insecure = true sur un réseau de confiance",
	"remove allow_insecure: certificates are always verified, set ca_file for a private authority":                                                                                                   "retirez allow_insecure : les certificats sont toujours vérifiés ; renseignez ca_file pour une autorité privée",
	"write the endpoint with https (\"https://s3.amazonaws.com\") or remove ca_file":                                                                                                                 "écrivez endpoint avec https (\"https://s3.amazonaws.com\") ou retirez ca_file",
	"write the endpoint with https (\"https://\") or remove ca_file":                                                                                                                                 "écrivez endpoint avec https (\"https://\") ou retirez ca_file",
	"write it like \"eu-west-3\" (your provider's documentation names it), or leave it out to ask the server":                                                                                        "écrivez-la sous la forme \"eu-west-3\" (la documentation de votre fournisseur la donne), ou omettez-la pour la demander au serveur",
	"set access_key and secret_key_file (a file readable only by gardien's user) to a key allowed to list, read, write and delete in the bucket":                                                     "renseignez access_key et secret_key_file (un fichier lisible par le seul utilisateur de gardien) avec une clé autorisée à lister, lire, écrire et supprimer dans le bucket",
	"set access_key, the key id that goes with secret_key":                                                                                                                                           "renseignez access_key, l'identifiant de la clé qui va avec secret_key",
	"set secret_key_file to a file holding the secret, or secret_key = \"${S3_SECRET_KEY}\"":                                                                                                         "indiquez dans secret_key_file un fichier qui contient le secret, ou secret_key = \"${S3_SECRET_KEY}\"",
	"copy the key id again, without spaces":                                                                                                                                                          "recopiez l'identifiant de la clé, sans espaces",
	"remove it: s3 logs in with access_key and secret_key (or secret_key_file)":                                                                                                                      "retirez cette clé : s3 se connecte avec access_key et secret_key (ou secret_key_file)",
	"write it like \"minio.example.org:9000\" or \"https://s3.fr-par.scw.cloud\", or leave it out for AWS":                                                                                           "écrivez-le sous la forme \"minio.example.org:9000\" ou \"https://s3.fr-par.scw.cloud\", ou omettez-le pour AWS",
	"use a port number between 1 and 65535":                                                                                                                                                          "indiquez un numéro de port entre 1 et 65535",
	"ca_file must be a PEM file holding the certificate of the authority that signed the server's, readable by gardien's user":                                                                       "ca_file doit être un fichier PEM, lisible par l'utilisateur de gardien, qui contient le certificat de l'autorité qui a signé celui du serveur",
	"check endpoint: it names the server, like \"minio.example.org:9000\"":                                                                                                                           "vérifiez endpoint : il désigne le serveur, comme \"minio.example.org:9000\"",
	"the server does not know this access key: check access_key, and that the key is active on this server (endpoint)":                                                                               "le serveur ne connaît pas cette clé d'accès : vérifiez access_key, et que la clé est active sur ce serveur (endpoint)",
	"the secret key does not match the access key: check secret_key (secret_key_file) and that it has no stray space or line break":                                                                  "la clé secrète ne correspond pas à la clé d'accès : vérifiez secret_key (secret_key_file), et qu'elle ne contient ni espace ni saut de ligne en trop",
	"access denied: check access_key and secret_key (secret_key_file), and that the key may list, read, write and delete in the bucket (s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject)": "accès refusé : vérifiez access_key et secret_key (secret_key_file), et que la clé peut lister, lire, écrire et supprimer dans le bucket (s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject)",
	"the bucket is in another region: set region to the bucket's (the provider's console shows it)":                                                                                                  "le bucket est dans une autre région : indiquez dans region celle du bucket (la console du fournisseur l'affiche)",
	"this machine's clock is off by more than 15 minutes: synchronise it (systemd-timesyncd, chrony or ntp)":                                                                                         "l'horloge de cette machine est décalée de plus de 15 minutes : synchronisez-la (systemd-timesyncd, chrony ou ntp)",
	"the server refuses the bucket name: check it in the url":                                                                                                                                        "le serveur refuse le nom du bucket : vérifiez-le dans l'url",
	"no space left for the archive: free space in the bucket or raise its quota, or lower keep_days":                                                                                                 "plus de place pour l'archive : libérez de la place dans le bucket ou relevez son quota, ou réduisez keep_days",
	"the file is not in the bucket: `gardien list` shows what is there":                                                                                                                              "le fichier n'est pas dans le bucket : `gardien list` montre ce qui s'y trouve",
	"the server does not implement this S3 operation: check that the endpoint is an S3 server":                                                                                                       "le serveur ne connaît pas cette opération S3 : vérifiez que endpoint désigne bien un serveur S3",
	"if it persists, check the server":                                                                                                                                                               "si cela persiste, vérifiez le serveur",
	"the S3 server refused the request: see its message above":                                                                                                                                       "le serveur S3 a refusé la requête : voyez son message ci-dessus",
	"`gardien check` tests the connection":                                                                                                                                                           "`gardien check` teste la connexion",

	// internal/source: postgres (and internal/pg)
	"check databases in [job.source]: names are case-sensitive (see them with psql -l)":                                                                               "vérifiez databases dans [job.source] : les noms tiennent compte de la casse (psql -l les affiche)",
	"check dsn, host, port and sslmode in [job.source]":                                                                                                               "vérifiez dsn, host, port et sslmode dans [job.source]",
	"peer authentication takes the operating system user: run gardien as that user, or connect over TCP (host = \"127.0.0.1\") with a password_file":                  "l'authentification peer prend l'utilisateur du système : lancez gardien sous cet utilisateur, ou connectez-vous en TCP (host = \"127.0.0.1\") avec un password_file",
	"no such role on the server: set username in [job.source] (without it, the name of the operating system user gardien runs as is used)":                            "ce rôle n'existe pas sur le serveur : renseignez username dans [job.source] (à défaut, c'est le nom de l'utilisateur système sous lequel tourne gardien qui sert)",
	"that database does not exist: name an existing one in dsn (\"postgres\" exists on every server)":                                                                 "cette base n'existe pas : indiquez-en une qui existe dans dsn (\"postgres\" existe sur tout serveur)",
	"the server is busy or starting: the connection is retried":                                                                                                       "le serveur est occupé ou en train de démarrer : la connexion est retentée",
	"no PostgreSQL socket there: the server does not run on this machine, or uses another port or socket directory (set host and port in [job.source])":               "pas de socket PostgreSQL à cet endroit : le serveur ne tourne pas sur cette machine, ou il utilise un autre port ou un autre répertoire de socket (renseignez host et port dans [job.source])",
	"no PostgreSQL socket there: the server does not run on this machine, or uses another port or socket directory (set host and port)":                               "pas de socket PostgreSQL à cet endroit : le serveur ne tourne pas sur cette machine, ou il utilise un autre port ou un autre répertoire de socket (renseignez host et port)",
	"the server does not offer TLS: enable ssl in its postgresql.conf, or set sslmode = \"disable\" if the network to it is trusted":                                  "le serveur ne propose pas TLS : activez ssl dans son postgresql.conf, ou mettez sslmode = \"disable\" si le réseau jusqu'à lui est de confiance",
	"the server's certificate was not accepted: set ca_file to the authority that signed it, and connect with the name it was issued for (sslmode = \"verify-full\")": "le certificat du serveur n'a pas été accepté : indiquez dans ca_file l'autorité qui l'a signé, et connectez-vous avec le nom pour lequel il a été émis (sslmode = \"verify-full\")",
	"the server's pg_hba.conf has no line for this host, user and database: add one (e.g. \"host all USER ADDRESS/32 scram-sha-256\") and reload PostgreSQL":          "le pg_hba.conf du serveur n'a pas de ligne pour cet hôte, cet utilisateur et cette base : ajoutez-en une (par exemple \"host all USER ADDRESS/32 scram-sha-256\") et rechargez PostgreSQL",
	"the server's pg_hba.conf has no line for this host, user and database: add one and reload PostgreSQL":                                                            "le pg_hba.conf du serveur n'a pas de ligne pour cet hôte, cet utilisateur et cette base : ajoutez-en une et rechargez PostgreSQL",
	"the connection to PostgreSQL broke off: check the server's log":                                                                                                  "la connexion à PostgreSQL a été coupée : consultez le journal du serveur",
	"the dump is retried": "le dump est relancé",
	"TLS to the server failed: set ca_file to the authority that signed its certificate, use the host name it was issued for, or sslmode = \"disable\" on a trusted network": "la connexion TLS au serveur a échoué : indiquez dans ca_file l'autorité qui a signé son certificat, utilisez le nom d'hôte pour lequel il a été émis, ou sslmode = \"disable\" sur un réseau de confiance",
	"pg_dump could not connect: check host, port and sslmode in [job.source] (`gardien check` tests the connection)":                                                         "pg_dump n'a pas pu se connecter : vérifiez host, port et sslmode dans [job.source] (`gardien check` teste la connexion)",
	"the server asks for a password: set password_file in [job.source]":                                                                                                      "le serveur demande un mot de passe : renseignez password_file dans [job.source]",
	"PostgreSQL does not listen there: check that it runs (systemctl status postgresql), host and port (default 5432), and listen_addresses in postgresql.conf":              "PostgreSQL n'écoute pas à cette adresse : vérifiez qu'il tourne (systemctl status postgresql), host et port (5432 par défaut), et listen_addresses dans postgresql.conf",
	"the database vanished between the listing and its dump (dropped or renamed?): run again":                                                                                "la base a disparu entre la liste et son dump (supprimée ou renommée ?) : relancez",
	"the database has more tables than a dump can lock: raise max_locks_per_transaction in postgresql.conf (e.g. 256) and restart PostgreSQL":                                "la base a plus de tables qu'un dump ne peut en verrouiller : augmentez max_locks_per_transaction dans postgresql.conf (par exemple 256) et redémarrez PostgreSQL",
	"a table was locked by another session (a migration, VACUUM FULL?): the dump is retried":                                                                                 "une table était verrouillée par une autre session (une migration, un VACUUM FULL ?) : le dump est relancé",
	"schedule the job at a quieter time if it persists":                                                                                                                      "si cela persiste, planifiez la tâche à une heure plus calme",

	// internal/source: directory
	"path in [job.source] must name a folder":                                                                                                  "path dans [job.source] doit désigner un dossier",
	"the folder does not exist: check path in [job.source] (is the share it lives on mounted?)":                                                "le dossier n'existe pas : vérifiez path dans [job.source] (le partage qui le porte est-il monté ?)",
	"the user gardien runs as may not open the folder: give it read and execute access (chmod, setfacl), or run gardien as the folder's owner": "l'utilisateur sous lequel tourne gardien ne peut pas ouvrir le dossier : donnez-lui les droits de lecture et d'exécution (chmod, setfacl), ou lancez gardien sous le propriétaire du dossier",
	"the folder is very large or its storage slow (a stalled network share?): raise timeout in [job.source]":                                   "le dossier est très gros ou son stockage lent (un partage réseau bloqué ?) : augmentez timeout dans [job.source]",
	"give the user gardien runs as read access to these files (chmod, setfacl), or list them in exclude":                                       "donnez à l'utilisateur sous lequel tourne gardien le droit de lire ces fichiers (chmod, setfacl), ou listez-les dans exclude",
	"without strict = true they are left out with a warning":                                                                                   "sans strict = true, ils sont laissés de côté avec un avertissement",
	"the disk holding the folder returned an error: check the system log (dmesg) and the disk":                                                 "le disque qui porte le dossier a renvoyé une erreur : consultez le journal du système (dmesg) et vérifiez le disque",
	"something writes in the folder during the run: schedule the job at a quieter time":                                                        "quelque chose écrit dans le dossier pendant l'exécution : planifiez la tâche à une heure plus calme",
	"the next run archives these files again":                                                                                                  "la prochaine exécution archivera de nouveau ces fichiers",

	// internal/source: command
	"install the program, or write its full path in command (cron's PATH is short: /usr/bin:/bin)":                            "installez le programme, ou écrivez son chemin complet dans command (le PATH de cron est court : /usr/bin:/bin)",
	"the command must write the dump on its standard output: no --result-file, no > redirection":                              "la commande doit écrire le dump sur sa sortie standard : pas de --result-file, pas de redirection >",
	"raise timeout in [job.source] if the dump truly takes that long, or find what it waits for (a lock, a password prompt?)": "augmentez timeout dans [job.source] si le dump prend vraiment autant de temps, ou cherchez ce qu'il attend (un verrou, une demande de mot de passe ?)",
	"see the command's own message": "voyez le message de la commande elle-même",
	"the staging directory is full: free space there, or set staging_dir in [job.archive]": "le répertoire de préparation est plein : libérez-y de la place, ou changez staging_dir dans [job.archive]",

	// internal/job: several sources, gardien verify, gardien restore
	"nothing changed in the source since the last run: if that is expected (a quiet database, a folder nobody writes to), set on_unchanged = \"archive\" in [job.archive]": "rien n'a changé dans la source depuis la dernière exécution : si c'est normal (une base peu active, un dossier où personne n'écrit), mettez on_unchanged = \"archive\" dans [job.archive]",
	"wait for the other verify of this job to finish":                                                                                                "attendez la fin de l'autre vérification de cette tâche",
	"keep the archives of the other destinations, and check that storage":                                                                            "gardez les archives des autres destinations, et vérifiez ce stockage",
	"the archive is damaged or truncated (an interrupted upload?): verify an older one with `gardien verify JOB NAME`, and see `gardien list JOB`":   "l'archive est abîmée ou tronquée (un envoi interrompu ?) : vérifiez-en une plus ancienne avec `gardien verify JOB NAME`, et voyez `gardien list JOB`",
	"the query fails on the restored data: check query in [job.verify] against the application's tables":                                             "la requête échoue sur les données restaurées : confrontez query dans [job.verify] aux tables de l'application",
	"the dump restores but its data is not what was expected: check the database the dump comes from (an emptied table?) and expect in [job.verify]": "le dump se restaure mais ses données ne sont pas celles attendues : vérifiez la base d'où vient le dump (une table vidée ?) et expect dans [job.verify]",
	"the next verify of this job drops it too":                                                                                                       "la prochaine vérification de cette tâche la supprimera aussi",
	"restore its files with --to DIR":                                                                                                                "restaurez ses fichiers avec --to DIR",
	"restore the files with --to DIR":                                                                                                                "restaurez les fichiers avec --to DIR",
	"name one of them with --dump":                                                                                                                   "désignez l'un d'eux avec --dump",
	"check staging_dir in [job.archive]: it must be writable and have room for the archive's content":                                                "vérifiez staging_dir dans [job.archive] : gardien doit pouvoir y écrire, et y trouver la place du contenu de l'archive",

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
	// internal/pg: a server that does not answer in time.
	{"{s} did not accept the connection within {s}: check that the host is up, its address and port, and that no firewall drops the traffic to it",
		"{1} n'a pas accepté la connexion en {2} : vérifiez que la machine est en marche, son adresse et son port, et qu'aucun pare-feu ne bloque le trafic vers elle"},
	{"{s} accepted the connection but PostgreSQL did not answer within {s}: check that PostgreSQL, not another service, listens on that port, and that it is not overloaded or stuck (its log, max_connections)",
		"{1} a accepté la connexion mais PostgreSQL n'a pas répondu en {2} : vérifiez que c'est bien PostgreSQL, et non un autre service, qui écoute sur ce port, et qu'il n'est ni surchargé ni bloqué (son journal, max_connections)"},
	{"PostgreSQL at {s} let gardien in, then did not answer: check the server's load and log (a stuck server, a full disk?) and the network between",
		"PostgreSQL sur {1} a laissé entrer gardien, puis n'a plus répondu : vérifiez la charge et le journal du serveur (serveur bloqué, disque plein ?) et le réseau entre les deux"},
	{"PostgreSQL did not answer {s} within connect_timeout: check that the server is up and not overloaded or stuck (its log, max_connections), and that no firewall drops the traffic",
		"PostgreSQL n'a pas répondu à {1} dans le délai connect_timeout : vérifiez que le serveur est en marche, ni surchargé ni bloqué (son journal, max_connections), et qu'aucun pare-feu ne bloque le trafic"},
	{"the share is not mounted: mount it (mount {s}, or mount -a) before the run",
		"le partage n'est pas monté : montez-le (mount {1}, ou mount -a) avant l'exécution"},
	{"the previous archive {s} is kept as {s} in the same directory: rename it back to {s} on the server, or delete it once a new {s} is there",
		"l'archive précédente {1} est gardée sous le nom {2} dans le même répertoire : renommez-la en {3} sur le serveur, ou supprimez-la une fois qu'un nouveau {4} y est"},
	{"the storage altered the file, and {s} on the destination is that corrupt copy: delete it by hand, then check the storage's disks and the network path",
		"le stockage a altéré le fichier, et {1} sur la destination est cette copie corrompue : supprimez-la à la main, puis vérifiez les disques du stockage et le chemin réseau"},
	{"the corrupt copy .{s}.verify does not pass for an archive, and the retention of the next good run removes it",
		"la copie corrompue .{1}.verify ne passe pas pour une archive, et l'épuration de la prochaine exécution réussie la supprime"},
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

	// internal/dest: s3
	{"use https (\"https://{s}\"), or set allow_insecure = true on a network you trust", "utilisez https (\"https://{1}\"), ou mettez allow_insecure = true sur un réseau de confiance"},
	{"write the endpoint with https (\"https://{s}\") or remove ca_file", "écrivez endpoint avec https (\"https://{1}\") ou retirez ca_file"},
	{"the server at {s} speaks plain http: enable TLS on it, or write endpoint = \"http://{s}\" with allow_insecure = true on a network you trust",
		"le serveur {1} parle http en clair : activez-y TLS, ou écrivez endpoint = \"http://{2}\" avec allow_insecure = true sur un réseau de confiance"},
	{"bucket not found: create it or check the name and region (bucket {q} on {s})", "bucket introuvable : créez-le, ou vérifiez son nom et sa région (bucket {1} sur {2})"},
	{"the bucket is in region {s}: set region = {q}", "le bucket est dans la région {1} : mettez region = {2}"},
	{"the S3 server is overloaded or failing (HTTP {n}): the run can be retried", "le serveur S3 est surchargé ou en erreur (HTTP {1}) : une nouvelle exécution peut réussir"},
	{"the S3 server is overloaded or failing ({s}): the run can be retried", "le serveur S3 est surchargé ou en erreur ({1}) : une nouvelle exécution peut réussir"},

	// internal/source: postgres (and internal/pg)
	{"PostgreSQL refused the password of {s}: check password or password_file (or the password in dsn) in [job.source]",
		"PostgreSQL a refusé le mot de passe de {1} : vérifiez password ou password_file (ou le mot de passe dans dsn) dans [job.source]"},
	{"the server's pg_hba.conf has no line for this host, user and database: add one (e.g. \"host all {s} ADDRESS/32 scram-sha-256\") and reload PostgreSQL",
		"le pg_hba.conf du serveur n'a pas de ligne pour cet hôte, cet utilisateur et cette base : ajoutez-en une (par exemple \"host all {1} ADDRESS/32 scram-sha-256\") et rechargez PostgreSQL"},
	{"PostgreSQL does not listen on {s}: check that it runs (systemctl status postgresql), the port (default 5432) and listen_addresses in postgresql.conf",
		"PostgreSQL n'écoute pas sur {1} : vérifiez qu'il tourne (systemctl status postgresql), le port (5432 par défaut) et listen_addresses dans postgresql.conf"},
	{"the role {s} may not create databases: ALTER ROLE {s} CREATEDB, or use another role", "le rôle {1} n'a pas le droit de créer des bases : ALTER ROLE {2} CREATEDB, ou utilisez un autre rôle"},
	{"{s} may not read everything in this database: GRANT pg_read_all_data TO {s} (PostgreSQL 14 and later), grant it SELECT on the tables named, or dump as the database's owner",
		"{1} n'a pas le droit de tout lire dans cette base : GRANT pg_read_all_data TO {2} (PostgreSQL 14 et suivants), accordez-lui SELECT sur les tables citées, ou faites le dump en tant que propriétaire de la base"},
	{"install the PostgreSQL client programs: apt install postgresql-client (of the server's version or newer), or set {s} to its path, e.g. \"/usr/lib/postgresql/15/bin/{s}\"",
		"installez les programmes clients de PostgreSQL : apt install postgresql-client (de la version du serveur, ou plus récente), ou indiquez son chemin dans {1}, par exemple \"/usr/lib/postgresql/15/bin/{2}\""},
	// NN is the server's major version once pg.Classify has read it.
	{"the {s} of this machine is older than the server: install the client of the server's version (apt install postgresql-client-NN, from apt.postgresql.org when Debian has not got it), or set {s} to its path, e.g. /usr/lib/postgresql/NN/bin/{s}",
		"le {1} de cette machine est plus ancien que le serveur : installez le client de la version du serveur (apt install postgresql-client-NN, depuis apt.postgresql.org si Debian ne l'a pas), ou indiquez son chemin dans {2}, par exemple /usr/lib/postgresql/NN/bin/{3}"},
	{"the {s} of this machine is older than the server: install the client of the server's version (apt install postgresql-client-{n}, from apt.postgresql.org when Debian has not got it), or set {s} to its path, e.g. /usr/lib/postgresql/{n}/bin/{s}",
		"le {1} de cette machine est plus ancien que le serveur : installez le client de la version du serveur (apt install postgresql-client-{2}, depuis apt.postgresql.org si Debian ne l'a pas), ou indiquez son chemin dans {3}, par exemple /usr/lib/postgresql/{4}/bin/{5}"},
	{"set {s} to PostgreSQL's {s}", "indiquez dans {1} le {2} de PostgreSQL"},
	{"see {s}'s message above", "voyez le message de {1} ci-dessus"},
	{"the same {s} run by hand shows more (gardien --verbose logs its command line)", "le même {1}, lancé à la main, en dit plus (gardien --verbose journalise sa ligne de commande)"},
	{"the {s} took longer than timeout in [job.source]: raise it, or check what slows the server", "le {1} a duré plus que timeout dans [job.source] : augmentez-le, ou cherchez ce qui ralentit le serveur"},

	// internal/source: command
	{"run it by hand, as the user gardien runs as, to see more: {s}", "lancez-la à la main, sous l'utilisateur de gardien, pour en voir plus : {1}"},

	// internal/job: gardien verify, gardien restore
	{"choose one with --dump, e.g. --dump {s}", "choisissez-en un avec --dump, par exemple --dump {1}"},
	{"give its path in the archive with --dump, e.g. --dump {s}", "donnez son chemin dans l'archive avec --dump, par exemple --dump {1}"},
	{"the archive on {s} is not what was sent: its storage altered it", "l'archive sur {1} n'est pas celle qui a été envoyée : son stockage l'a altérée"},
	{"the archive on {s} is not the one sent, though it is consistent: was it replaced? Check who writes there",
		"l'archive sur {1} n'est pas celle qui a été envoyée, bien qu'elle soit cohérente : a-t-elle été remplacée ? Vérifiez qui écrit à cet endroit"},
	{"the archive was made by another job or an older configuration: check with `gardien list {s}`",
		"l'archive a été faite par une autre tâche ou par une ancienne configuration : vérifiez avec `gardien list {1}`"},
	{"drop it by hand (DROP DATABASE gardien_verify_{s}_{s}_{n})", "supprimez-la à la main (DROP DATABASE gardien_verify_{1}_{2}_{3})"},
}

// detailsFR: the fixed details and causes the job writes.
var detailsFR = map[string]string{
	"not run: gardien is stopping (SIGTERM)":                                               "non fait : gardien s'arrête (SIGTERM)",
	"the next run does it":                                                                 "la prochaine exécution le fera",
	"not run because the destination is unreachable":                                       "car la destination est injoignable",
	"not run because the transfer failed":                                                  "car le transfert a échoué",
	"not run because the dump looks suspicious (see plausible size)":                       "car le dump paraît suspect (voir « vraisemblance de la taille »)",
	"the dump is unchanged; nothing is sent, nothing is deleted (on_unchanged = \"skip\")": "le dump n'a pas changé : rien n'est envoyé, rien n'est supprimé (on_unchanged = \"skip\")",
	"write, list, read and delete work":                                                    "écriture, liste, lecture et suppression fonctionnent",
	"transport none: no mail is sent":                                                      "transport none : aucun mail n'est envoyé",
	"archived anyway (on_unchanged = \"archive\")":                                         "archivé quand même (on_unchanged = \"archive\")",
	// Counts: "1 file" is written apart from "{n} files".
	"1 file":   "1 fichier",
	"1 folder": "1 dossier",
	"1 link":   "1 lien",
	// gardien verify
	"SHA-256 as in the MANIFEST":                    "SHA-256 conformes au MANIFEST",
	"target as in the MANIFEST":                     "cible conforme au MANIFEST",
	"not restored: set restore_dsn in [job.verify]": "non restauré : renseignez restore_dsn dans [job.verify]",
	"the archive holds no pg_dump custom-format dump, though the job has a postgres source": "l'archive ne contient aucun dump pg_dump au format custom, alors que la tâche a une source postgres",
}

// detailPatternsFR: the details and causes that carry values. Sizes, durations,
// dates and decimals are converted by their placeholder; a count takes the French
// plural with {N|singular;plural} ("3 entrées"), or {N?singular;plural} for the word
// alone. The first that matches wins.
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

	// staging directory (free space before the run)
	{"{size} free in {s}, less than the {size} the last run staged (its zip and its {size} archive)",
		"{1} libres dans {2}, moins que les {3} préparés par la dernière exécution (son zip et son archive de {4})"},

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
	// A count of files, before the archive's name that the next pattern takes.
	{"1 file, {size} in {dur}", "1 fichier, {1} en {2}"},
	{"{n} files, {size} in {dur}", "{1|fichier;fichiers}, {2} en {3}"},
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

	// Several sources, and the sources other than https-zip.
	{"unchanged since run {s} of {date} (same size and stamp as then; sha256 then {s}), archived anyway (on_unchanged = \"archive\")",
		"dump inchangé depuis l'exécution {1} du {2} (même taille et même horodatage ; sha256 relevé alors : {3}), archivé quand même (on_unchanged = \"archive\")"},
	{"the dump is unchanged since run {s} of {date} (same size and stamp as then; sha256 then {s})",
		"le dump n'a pas changé depuis l'exécution {1} du {2} (même taille et même horodatage ; sha256 relevé alors : {3})"},
	{"unchanged since run {s} of {date} (same size and stamp as then; sha256 then {s})",
		"dump inchangé depuis l'exécution {1} du {2} (même taille et même horodatage ; sha256 relevé alors : {3})"},
	{"{s}: folder readable", "{1} : dossier lisible"},
	{"{s}: 1 file", "{1} : 1 fichier"},
	{"{s}: {n} files", "{1} : {2|fichier;fichiers}"},
	{"{n} files", "{1|fichier;fichiers}"},
	{"{n} folders", "{1|dossier;dossiers}"},
	{"{n} links", "{1|lien;liens}"},
	{"{n} excluded", "{1|exclu;exclus}"},
	{"{n} sockets, pipes or devices left out", "{1|socket, tube ou périphérique laissé;sockets, tubes ou périphériques laissés} de côté"},
	{"{n} unreadable", "{1|illisible;illisibles}"},
	{"{size} read", "{1} lus"},
	{"{n} could not be read, and are not in the archive (or only in part)",
		"{1|fichier illisible, absent de l'archive (ou en partie seulement);fichiers illisibles, absents de l'archive (ou en partie seulement)}"},
	{"{n} changed while they were read", "{1|fichier modifié;fichiers modifiés} pendant la lecture"},
	{"{s} and {n} more; changed while read: {s} and {n} more", "{1} et {2|autre;autres} ; modifiés pendant la lecture : {3} et {4|autre;autres}"},
	{"{s} and {n} more; changed while read: {s}", "{1} et {2|autre;autres} ; modifiés pendant la lecture : {3}"},
	{"{s}; changed while read: {s} and {n} more", "{1} ; modifiés pendant la lecture : {2} et {3|autre;autres}"},
	{"{s}; changed while read: {s}", "{1} ; modifiés pendant la lecture : {2}"},
	{"changed while read: {s} and {n} more", "modifiés pendant la lecture : {1} et {2|autre;autres}"},
	{"changed while read: {s}", "modifiés pendant la lecture : {1}"},
	{"runs {s} -c (not run by check)", "lance {1} -c (check ne l'exécute pas)"},
	{"{s} found (not run by check)", "{1} trouvé (check ne l'exécute pas)"},
	{"{s} exited 0 in {dur}, {size} on its standard output", "{1} a terminé avec le code 0 en {2}, {3} sur sa sortie standard"},
	{"PostgreSQL {s} at {s}, {n} match {s}: {s} and {n} more; pg_dump {n}",
		"PostgreSQL {1} sur {2}, {3|base correspond;bases correspondent} à {4} : {5} et {6|autre;autres} ; pg_dump {7}"},
	{"PostgreSQL {s} at {s}, {n} match {s}: {s}; pg_dump {n}",
		"PostgreSQL {1} sur {2}, {3|base correspond;bases correspondent} à {4} : {5} ; pg_dump {6}"},
	{"PostgreSQL {s} at {s}", "PostgreSQL {1} sur {2}"},
	{"{n} match {s}: {s} and {n} more", "{1|base correspond;bases correspondent} à {2} : {3} et {4|autre;autres}"},
	{"{n} match {s}: {s}", "{1|base correspond;bases correspondent} à {2} : {3}"},
	{"{n} of {n} dumped", "{1} sur {2} {1?sauvegardée;sauvegardées}"},
	{"{n} of {n}: {s} and {n} more", "{1} sur {2} : {3} et {4|autre;autres}"},
	{"{n} of {n}: {s}", "{1} sur {2} : {3}"},
	{"{s} and {n} more", "{1} et {2|autre;autres}"},

	// gardien verify
	{"in {dur}", "en {1}"},
	{"made by run {s} on {date}", "faite par l'exécution {1} le {2}"},
	{"{size} in {dur}", "{1} en {2}"},
	{"the archive's SHA-256 is the one run {s} sent", "le SHA-256 de l'archive est celui qu'a envoyé l'exécution {1}"},
	{"{s} on {s} has sha256 {s}, but run {s} sent {s}", "{1} sur {2} a le sha256 {3}, mais l'exécution {4} a envoyé {5}"},
	{"restore_dsn {s}", "restore_dsn {1}"},
	{"{s}: its table of contents reads ({n} entries, {n} tables)", "{1} : sa table des matières se lit ({2|entrée;entrées}, {3|table;tables})"},
	{"{s}: {n} entries", "{1} : {2|entrée;entrées}"},
	{"{s}: {n} entries, {n} tables restored in {dur}; {s} → {s} (expected {s})",
		"{1} : {2|entrée;entrées}, {3|table restaurée;tables restaurées} en {4} ; {5} → {6} (attendu : {7})"},
	{"{s}: {n} entries, {n} tables restored in {dur}; {s} → {s}",
		"{1} : {2|entrée;entrées}, {3|table restaurée;tables restaurées} en {4} ; {5} → {6}"},
	{"{n} tables restored in {dur} (expected {s})", "{1|table restaurée;tables restaurées} en {2} (attendu : {3})"},
	{"{n} tables restored in {dur}", "{1|table restaurée;tables restaurées} en {2}"},
	{"{n} tables", "{1|table;tables}"},
	{"{s} → {s} (expected {s})", "{1} → {2} (attendu : {3})"},
	{"{s} → {s}", "{1} → {2}"},
	{"gardien_verify_{s}_{s}_{n}", "gardien_verify_{1}_{2}_{3}"},

	// A file and its size, as sources write it (and the mail's fixtures): last, as
	// the most general.
	{"{s}, {size}", "{1}, {2}"},

	// gardien check: the mail
	{"{s} -t -i", "{1} -t -i"},
	{"{s}, security {s}, logged in as {s}", "{1}, security {2}, connecté en tant que {3}"},
	{"{s}, security {s}", "{1}, security {2}"},
	{"to {s} through {s}", "envoyé à {1} par {2}"},
}
