package report

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// locale holds the fixed words and sentences of the summary block and the mail in one
// language. english renders the log's summary block byte for byte; french is the
// mail's default (mail.language = "fr").
//
// What the job itself writes into a step (its detail, its cause, its hint) is English;
// a language other than English translates it through its catalogues (catalog.go),
// but for the underlying errors, which stay verbatim.
type locale struct {
	lang string
	// Column widths of the summary block. The English block keeps its fixed columns
	// (its layout is grepped); the French one widens the step column to the longest
	// name of the run, French step names being longer.
	statusW, nameW int
	growName       bool
	hint           string // label before a hint: "hint: "
	sep            string // between a target and what happened there: ": "
	statuses       [4]string
	steps          map[string]string
	// warned names, in the subject, a step that warned when its name alone would
	// mislead: "changed since last run" warns when the dump did NOT change.
	warned   map[string]string
	dateTime string // time layout of the headline
	date     string // time layout of {date}
	bytes    func(int64) string
	duration func(time.Duration) string
	// hints and details translate what the job writes; nil for English.
	hints, details *catalog
	retried        string // fault.Retry's note on a cause: " (after %s attempts)"

	// Sentences.
	runHead     string // headline of a block: job, run, start, outcome
	runSub      string // "run %s · %s" under the job's name in the HTML part
	at          string // " at %q": the failed step, after the outcome
	dryRun      string // " (dry run)"
	interrupted string // " (interrupted)"
	deletion    func(d Deletion, lc *locale) string
	archive     func(r *Result, lc *locale) string
	took        string // "took %s"
	intro       func(rs []*Result, host string) string
	attached    string // "The log of this run is attached (%s)."
	logAt       string // "The full log is on %s in %s."
	footer      string // "Sent by gardien %s on %s."
	testIntro   string // body of the test mail, with %s for the host
	testSubj    string
	colStatus   string
	colStep     string
	colDetail   string
	lblArchive  string
	lblSize     string
	lblSHA      string
	lblTook     string
	lblDeleted  string
	lblKept     string // the archive was not delivered and stays here
}

func localeFor(lang string) *locale {
	if lang == "fr" {
		return french
	}
	return english
}

func (lc *locale) status(s Status) string {
	if int(s) >= 0 && int(s) < len(lc.statuses) {
		return lc.statuses[s]
	}
	return s.String()
}

// step translates a step name; names it does not know stay as the job wrote them.
func (lc *locale) step(name string) string {
	if t, ok := lc.steps[name]; ok {
		return t
	}
	return name
}

// outcome is "FAILURE at "transfer done" (nas)": the outcome of a run and, when a
// step failed, which.
func (lc *locale) outcome(r *Result) string {
	what := r.Outcome().String()
	if f := r.FailedStep(); f != nil {
		what += fmt.Sprintf(lc.at, lc.step(f.Name))
		if f.Target != "" {
			what += " (" + f.Target + ")"
		}
	}
	if r.DryRun {
		what += lc.dryRun
	}
	if r.Interrupted {
		what += lc.interrupted
	}
	return what
}

// headline is the first line of a summary block.
func (lc *locale) headline(r *Result) string {
	return fmt.Sprintf(lc.runHead, r.Job, r.Run, r.Start.Format(lc.dateTime), lc.outcome(r))
}

// stepWithTarget is "transfer done (nas)".
func (lc *locale) stepWithTarget(s *Step) string {
	if s.Target != "" {
		return lc.step(s.Name) + " (" + s.Target + ")"
	}
	return lc.step(s.Name)
}

var english = &locale{
	lang:        "en",
	statusW:     7,
	nameW:       22,
	hint:        "hint: ",
	sep:         ": ",
	statuses:    [4]string{OK: "ok", Warning: "warning", Skipped: "skipped", Failed: "FAILED"},
	warned:      map[string]string{StepChanged: "dump unchanged", StepSize: "dump implausibly small"},
	dateTime:    "2006-01-02 15:04:05",
	date:        "2006-01-02",
	bytes:       Bytes,
	duration:    Duration,
	runHead:     "== %s run %s · %s · %s ==",
	runSub:      "run %s · %s",
	at:          " at %q",
	dryRun:      " (dry run)",
	interrupted: " (interrupted)",
	deletion: func(d Deletion, lc *locale) string {
		verb := "deleted"
		switch {
		case d.DryRun:
			verb = "would delete"
		case d.Err != "":
			verb = "NOT deleted"
		}
		line := fmt.Sprintf("%s %s on %s (%s)", verb, d.Name, d.Dest, d.Reason)
		if d.Err != "" {
			line += ": " + d.Err
		}
		return line
	},
	archive: func(r *Result, lc *locale) string {
		line := fmt.Sprintf("archive %s, %s, sha256 %s", r.Archive, Bytes(r.ArchiveSize), r.ArchiveSHA256)
		if r.KeptAt != "" {
			line += "; not delivered, kept at " + r.KeptAt
		}
		return line
	},
	took: "took %s",
	intro: func(rs []*Result, host string) string {
		o := worst(rs)
		if len(rs) == 1 {
			what := map[Outcome]string{Success: "succeeded", Warned: "ended with warnings", Failure: "failed"}[o]
			return fmt.Sprintf("%s: the job %s %s on %s.", o, rs[0].Job, what, host)
		}
		n := countOutcomes(rs)
		var parts []string
		for _, p := range []struct {
			o    Outcome
			word string
		}{{Success, "succeeded"}, {Warned, "with warnings"}, {Failure, "failed"}} {
			if n[p.o] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n[p.o], p.word))
			}
		}
		return fmt.Sprintf("%s: %d jobs on %s: %s.", o, len(rs), host, strings.Join(parts, ", "))
	},
	attached:   "The log of this run is attached (%s).",
	logAt:      "The full log is on %s in %s.",
	footer:     "Sent by gardien %s on %s.",
	testSubj:   "[gardien] test mail from %s",
	testIntro:  "This is a test mail sent by `gardien check --send-test-mail` on %s.\nThe [mail] settings work: the run reports will arrive here.",
	colStatus:  "Status",
	colStep:    "Check",
	colDetail:  "Detail",
	lblArchive: "Archive",
	lblSize:    "Size",
	lblSHA:     "SHA-256",
	lblTook:    "Duration",
	lblDeleted: "Retention",
	lblKept:    "Not delivered, kept at",
}

// nb is the no-break space French puts before ":" and inside « ».
const nb = "\u00a0"

var french = &locale{
	lang:     "fr",
	statusW:  9,
	nameW:    22,
	growName: true,
	hint:     "conseil" + nb + ": ",
	sep:      nb + ": ",
	statuses: [4]string{OK: "ok", Warning: "attention", Skipped: "non fait", Failed: "ÉCHEC"},
	warned:   map[string]string{StepChanged: "dump inchangé", StepSize: "dump anormalement petit"},
	steps: map[string]string{
		// Nouns, not participles: the status in front says whether it happened
		// ("non fait  transfert", not "non fait  transfert effectué").
		StepReachable:  "accès à l'URL",
		StepDownloaded: "téléchargement du zip",
		StepExpected:   "présence du fichier attendu",
		StepChanged:    "changement depuis la dernière exécution",
		StepSize:       "vraisemblance de la taille",
		StepArchive:    "création de l'archive",
		StepDestLogin:  "connexion à la destination",
		StepTransfer:   "transfert",
		StepRetention:  "épuration",
		StepMail:       "envoi du mail",
		StepMailLogin:  "connexion au serveur de mail",
		StepTestMail:   "envoi du mail de test",
		// Steps named in internal/job (which imports this package, hence the literals).
		"no other run":       "aucune autre exécution en cours",
		"staging directory":  "répertoire de préparation",
		"probe write+delete": "écriture et suppression d'un fichier test",
		"run record saved":   "enregistrement de l'exécution",
		// Steps named in internal/source and by gardien verify (nouns, as above).
		"database reachable":       "connexion à la base de données",
		"databases listed":         "liste des bases de données",
		"every database dumped":    "sauvegarde de chaque base",
		"folder listed":            "parcours du dossier",
		"every file read":          "lecture de chaque fichier",
		"command run":              "exécution de la commande",
		"archive found":            "recherche de l'archive",
		"archive extracted":        "extraction de l'archive",
		"checksums verified":       "vérification des sommes de contrôle",
		"dump restored":            "restauration de la sauvegarde",
		"scratch database dropped": "suppression de la base temporaire",
	},
	dateTime:    "02/01/2006 15:04:05",
	date:        "02/01/2006",
	bytes:       bytesFR,
	duration:    durationFR,
	hints:       frenchHints,
	details:     frenchDetails,
	retried:     " (après %s tentatives)",
	runHead:     "== %s · exécution %s · %s · %s ==",
	runSub:      "exécution %s · %s",
	at:          " à l'étape «" + nb + "%s" + nb + "»",
	dryRun:      " (simulation)",
	interrupted: " (interrompue)",
	deletion: func(d Deletion, lc *locale) string {
		verb := "supprimé"
		switch {
		case d.DryRun:
			verb = "serait supprimé"
		case d.Err != "":
			verb = "NON supprimé"
		}
		line := fmt.Sprintf("%s %s sur %s (%s)", verb, d.Name, d.Dest, reasonFR(d.Reason))
		if d.Err != "" {
			line += nb + ": " + d.Err
		}
		return line
	},
	archive: func(r *Result, lc *locale) string {
		line := fmt.Sprintf("archive %s, %s, sha256 %s", r.Archive, bytesFR(r.ArchiveSize), r.ArchiveSHA256)
		if r.KeptAt != "" {
			line += nb + "; non livrée, conservée dans " + r.KeptAt
		}
		return line
	},
	took: "durée %s",
	intro: func(rs []*Result, host string) string {
		o := worst(rs)
		if len(rs) == 1 {
			what := map[Outcome]string{Success: "a réussi", Warned: "s'est terminée avec des avertissements", Failure: "a échoué"}[o]
			return fmt.Sprintf("%s"+nb+": la tâche %s %s sur la machine %s.", o, rs[0].Job, what, host)
		}
		n := countOutcomes(rs)
		var parts []string
		for _, p := range []struct {
			o          Outcome
			one, other string
		}{{Success, "réussie", "réussies"}, {Warned, "avec des avertissements", "avec des avertissements"}, {Failure, "en échec", "en échec"}} {
			if n[p.o] == 1 {
				parts = append(parts, "1 "+p.one)
			} else if n[p.o] > 1 {
				parts = append(parts, fmt.Sprintf("%d %s", n[p.o], p.other))
			}
		}
		return fmt.Sprintf("%s"+nb+": %d tâches sur la machine %s"+nb+": %s.", o, len(rs), host, strings.Join(parts, ", "))
	},
	attached:   "Le journal de cette exécution est en pièce jointe (%s).",
	logAt:      "Le journal complet est sur la machine %s, dans %s.",
	footer:     "Envoyé par gardien %s depuis la machine %s.",
	testSubj:   "[gardien] mail de test depuis %s",
	testIntro:  "Ceci est un mail de test envoyé par `gardien check --send-test-mail` depuis la machine %s.\nLes réglages de la section [mail] fonctionnent" + nb + ": les comptes rendus des sauvegardes arriveront ici.",
	colStatus:  "État",
	colStep:    "Vérification",
	colDetail:  "Détail",
	lblArchive: "Archive",
	lblSize:    "Taille",
	lblSHA:     "SHA-256",
	lblTook:    "Durée",
	lblDeleted: "Épuration",
	lblKept:    "Non livrée, conservée dans",
}

var (
	reasonOlder = regexp.MustCompile(`^dated (\d{4})-(\d{2})-(\d{2}), older than (\d+) days?$`)
	reasonsFR   = map[string]string{
		"temporary file left by an interrupted upload": "fichier temporaire laissé par un envoi interrompu",
	}
)

// reasonFR translates the retention's reasons for a deletion; one it does not know
// stays in English.
func reasonFR(s string) string {
	if m := reasonOlder.FindStringSubmatch(s); m != nil {
		days := m[4] + " jours"
		if m[4] == "1" {
			days = "1 jour"
		}
		return fmt.Sprintf("du %s/%s/%s, au-delà de %s", m[3], m[2], m[1], days)
	}
	if t, ok := reasonsFR[s]; ok {
		return t
	}
	return s
}

// bytesFR is Bytes the French way: "812,4 Mo".
func bytesFR(n int64) string { return sizeFR(Bytes(n)) }

// durationFR is Duration the French way: "6,1 s", "2 min 03 s".
func durationFR(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d"+nb+"ms", d.Round(time.Millisecond).Milliseconds())
	case d < time.Minute:
		return strings.Replace(fmt.Sprintf("%.1f", d.Seconds()), ".", ",", 1) + nb + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%d"+nb+"min %02d"+nb+"s", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%d"+nb+"h %02d"+nb+"min", int(d.Hours()), int(d.Minutes())%60)
	}
}

func worst(rs []*Result) Outcome {
	o := Success
	for _, r := range rs {
		o = max(o, r.Outcome())
	}
	return o
}

func countOutcomes(rs []*Result) map[Outcome]int {
	n := map[Outcome]int{}
	for _, r := range rs {
		n[r.Outcome()]++
	}
	return n
}

// padRight pads s with spaces to w runes (fmt's %-*s counts runes too, but this says so).
func padRight(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}
