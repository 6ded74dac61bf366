package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/securemig/securemig/dump"
)

// contractCode is the contract every benchmark imports the samples as.
const contractCode = "BENCH"

// migrateSchemaArgs are the securemig migrate arguments that apply the
// scratch project's schema files only.
var migrateSchemaArgs = []string{"--path", "file://migrations/schema"}

// workbook is one sample workbook the stages run on.
type workbook struct {
	// name is the sample's name in the table ("full size", "--scale 25").
	name string
	// tag names it in benchmark-format output and file names.
	tag string
	// scale is the --scale factor (1 for full size).
	scale int
	// runs is the number of runs of stages without a baseline.
	runs int
	// xlsx and rateAreas are the generated files.
	xlsx, rateAreas string
	// sourceDB and sourceDSN hold the imported contract for report,
	// generate and the pg_dump baseline.
	sourceDB, sourceDSN string
	// stagingRows is the number of staging rows one import writes.
	stagingRows int64
	// project and production are the scratch project and production file
	// of the last generated secure migration (for apply).
	project, production string
	// tables are the pinned pg_dump patterns of the tables gen dumped.
	tables []string
}

// runAll runs every selected stage on every sample, then the upload, and
// returns the exit code: 1 when any stage could not be measured or showed
// an anomaly.
func (b *bench) runAll(ctx context.Context) int {
	books := []*workbook{{name: "full size", tag: "full", scale: 1, runs: b.cfg.runs}}
	if b.cfg.scale > 1 {
		books = append(books, &workbook{name: fmt.Sprintf("--scale %d", b.cfg.scale),
			tag: fmt.Sprintf("x%d", b.cfg.scale), scale: b.cfg.scale, runs: b.cfg.largeRuns})
	}
	for _, wb := range books {
		if ctx.Err() != nil {
			break
		}
		b.runWorkbook(ctx, wb)
	}
	if b.cfg.uploadMiB > 0 && b.cfg.wants("upload") && ctx.Err() == nil {
		b.add(b.upload(ctx))
	}
	if b.cfg.wants("task") && ctx.Err() == nil {
		b.add(b.taskCheck(ctx))
	}
	code := 0
	for _, r := range b.results {
		if r.note != "" { // not measured, or measured with an anomaly
			code = 1
		}
	}
	if ctx.Err() != nil {
		code = 1
	}
	return code
}

// add records a result and prints its table row.
func (b *bench) add(r result) {
	b.results = append(b.results, r)
	var sb strings.Builder
	writeTable(&sb, []result{r})
	lines := strings.Split(strings.TrimSpace(sb.String()), "\n")
	b.logf("%s", lines[len(lines)-1])
}

// notMeasured is a result for a stage that could not run.
func notMeasured(stage string, wb *workbook, err error) result {
	return result{stage: stage, sample: wb.name, what: "–", note: err.Error()}
}

// runWorkbook generates a sample and runs every stage on it.
func (b *bench) runWorkbook(ctx context.Context, wb *workbook) {
	if !b.cfg.wants("parse") && !b.cfg.wants("import") && !b.cfg.wants("report") &&
		!b.cfg.wants("generate") && !b.cfg.wants("apply") && !b.cfg.wants("compress") && !b.cfg.wants("pipeline") {
		return
	}
	err := b.prepare(ctx, wb)
	defer func() {
		if wb.sourceDB != "" {
			b.dropDatabase(ctx, wb.sourceDB)
		}
	}()
	steps := []struct {
		stage, label string
		run          func(context.Context, *workbook) result
	}{
		{"parse", "parse", b.parse},
		{"import", "import", b.importStage},
		{"report", "report", b.report},
		{"generate", "dump + generate", b.generate},
		{"apply", "apply", b.apply},
		{"compress", "gzip", b.compress},
		{"pipeline", "pipeline", b.pipeline},
	}
	for _, st := range steps {
		if !b.cfg.wants(st.stage) || ctx.Err() != nil {
			continue
		}
		if err != nil {
			b.add(notMeasured(st.label, wb, fmt.Errorf("no sample: %w", err)))
			continue
		}
		b.logf("%s, %s ...", st.label, wb.name)
		b.add(st.run(ctx, wb))
	}
}

// prepare generates the sample workbook and its rate-area reference CSV.
func (b *bench) prepare(ctx context.Context, wb *workbook) error {
	if err := b.available(ctx, "pricing", "sample"); err != nil {
		return err
	}
	dir := filepath.Join(b.work, "samples")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	wb.xlsx = filepath.Join(dir, wb.tag+".xlsx")
	wb.rateAreas = filepath.Join(dir, wb.tag+".rate-areas.csv")
	flags := []string{"--seed", "1"}
	if wb.scale > 1 {
		flags = append(flags, "--scale", strconv.Itoa(wb.scale))
	}
	argv := append([]string{b.bin, "pricing", "sample", "--out", wb.xlsx, "--rate-areas-out", wb.rateAreas}, flags...)
	b.logf("generating the %s sample ...", wb.name)
	s, err := child{name: "securemig pricing sample", argv: argv, dir: b.root}.run(ctx)
	if err != nil {
		return err
	}
	fi, err := os.Stat(wb.xlsx)
	if err != nil {
		return fmt.Errorf("the sample workbook was not written: %w", err)
	}
	b.notes = append(b.notes, fmt.Sprintf("Sample %q (`securemig pricing sample %s`): a %.1f MB workbook; generating it took %s (not part of any row).",
		wb.name, strings.Join(flags, " "), float64(fi.Size())/1e6, fmtSeconds(s.wall.Seconds())))
	return nil
}

// parse measures 'securemig pricing parse' next to the raw-iteration floor.
func (b *bench) parse(ctx context.Context, wb *workbook) result {
	r := result{stage: "parse", sample: wb.name, what: "`securemig pricing parse`",
		baseline: "excelize raw iteration of the 12 data sheets (`securemig-bench floor`)"}
	if err := b.available(ctx, "pricing", "parse"); err != nil {
		r.note = err.Error()
		return r
	}
	var sheetRows int
	parse := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		return child{name: "securemig pricing parse", dir: b.root,
			argv: wrapArgv(wrap, []string{b.bin, "pricing", "parse", "--file", wb.xlsx})}.run(ctx)
	}
	floorRun := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		s, err := child{name: "floor", dir: b.root,
			argv: wrapArgv(wrap, []string{b.self, "floor", wb.xlsx})}.run(ctx)
		if err == nil {
			fmt.Sscanf(s.stdout, "%d rows", &sheetRows)
		}
		return s, err
	}
	as, bs, err := pairs(ctx, b.cfg.pairs, parse, floorRun)
	b.record("Parse", wb.tag, as)
	b.record("ParseFloor", wb.tag, bs)
	if err != nil {
		r.note = err.Error()
		return r
	}
	r.measured(as)
	r.against(as, bs)
	if sheetRows > 0 && r.wall.median > 0 {
		r.rate = fmtRate(float64(sheetRows)/r.wall.median, "sheet rows")
	}
	if wb.scale == 1 {
		r.checks = []check{
			below("full-size parse < 1.5 s", r.wall.median, 1.5, false, fmtSeconds),
			below("full-size parse ≤ 1.5× the raw iteration floor", r.ratio.median, 1.5, true, fmtTimes),
		}
	}
	b.maybeProfile(ctx, &r, parse)
	return r
}

// importStage measures 'securemig pricing import' into fresh databases and
// keeps the last one as the source of the later stages.
func (b *bench) importStage(ctx context.Context, wb *workbook) result {
	r := result{stage: "import", sample: wb.name, what: "`securemig pricing import` (parse + load + derive), fresh database"}
	if err := b.available(ctx, "pricing", "import"); err != nil {
		r.note = err.Error()
		return r
	}
	var last string
	imp := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		name, dsn, err := b.freshDatabase(ctx, "import")
		if err != nil {
			return sample{}, err
		}
		s, err := child{name: "securemig pricing import", dir: b.root, env: []string{"DATABASE_URL=" + dsn},
			argv: wrapArgv(wrap, []string{b.bin, "pricing", "import", "--file", wb.xlsx,
				"--contract-code", contractCode, "--rate-areas", wb.rateAreas})}.run(ctx)
		if err != nil || wrap != nil {
			b.dropDatabase(ctx, name)
			return s, err
		}
		if last != "" {
			b.dropDatabase(ctx, last)
		}
		last, wb.sourceDB, wb.sourceDSN = name, name, dsn
		return s, nil
	}
	ss, err := series(ctx, wb.runs, imp)
	b.record("Import", wb.tag, ss)
	if err != nil {
		r.note = err.Error()
		return r
	}
	r.measured(ss)
	staging, rateEngine, err := b.importedRows(ctx, wb)
	if err != nil {
		r.note = err.Error()
	} else {
		wb.stagingRows = staging
		r.rate = fmtRate(float64(staging+rateEngine)/r.wall.median, "rows") +
			fmt.Sprintf(" (%s staging + %s rate-engine rows)", groupThousands(staging), groupThousands(rateEngine))
	}
	switch {
	case wb.scale == 1:
		r.checks = []check{below("full-size parse + import < 3 s", r.wall.median, 3, false, fmtSeconds)}
	case wb.scale == 25:
		r.checks = []check{
			below("--scale 25 import < 60 s", r.wall.median, 60, false, fmtSeconds),
			below("--scale 25 import peak memory < 500 MB", float64(r.rss), 500e6, false, fmtMB),
		}
	}
	b.maybeProfile(ctx, &r, imp)
	return r
}

// importedRows counts the rows the import wrote (rows of the template,
// such as seeded services, are not counted).
func (b *bench) importedRows(ctx context.Context, wb *workbook) (staging, rateEngine int64, err error) {
	s1, r1, err := countRows(ctx, wb.sourceDSN)
	if err != nil {
		return 0, 0, err
	}
	dsn, err := b.srv.dsn(b.template)
	if err != nil {
		return 0, 0, err
	}
	s0, r0, err := countRows(ctx, dsn)
	if err != nil {
		return 0, 0, err
	}
	return s1 - s0, r1 - r0, nil
}

// report measures 'securemig pricing report' (HTML) on the imported contract.
func (b *bench) report(ctx context.Context, wb *workbook) result {
	r := result{stage: "report", sample: wb.name, what: "`securemig pricing report --format html`"}
	if err := b.available(ctx, "pricing", "report"); err != nil {
		r.note = err.Error()
		return r
	}
	if wb.sourceDSN == "" {
		r.note = "needs a successful import"
		return r
	}
	out := filepath.Join(b.work, "reports", wb.tag+".html")
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		r.note = err.Error()
		return r
	}
	rep := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		return child{name: "securemig pricing report", dir: b.root, env: []string{"DATABASE_URL=" + wb.sourceDSN},
			okCodes: []int{1, 2}, // warnings and fail verdicts still write the report
			argv: wrapArgv(wrap, []string{b.bin, "pricing", "report", "--contract-code", contractCode,
				"--format", "html", "--out", out})}.run(ctx)
	}
	ss, err := series(ctx, wb.runs, rep)
	b.record("Report", wb.tag, ss)
	if err != nil {
		r.note = err.Error()
		return r
	}
	r.measured(ss)
	if v := ss[len(ss)-1].exitCode; v != 0 {
		r.what += fmt.Sprintf(" (verdict exit %d)", v)
	}
	if wb.scale == 1 {
		r.checks = []check{below("full-size report < 2 s", r.wall.median, 2, false, fmtSeconds)}
	}
	b.maybeProfile(ctx, &r, rep)
	return r
}

// generate measures 'securemig gen secure-migration' (dump + production
// file, placeholder, down migration, lock entry) next to a bare pg_dump of
// the same tables.
func (b *bench) generate(ctx context.Context, wb *workbook) result {
	r := result{stage: "dump + generate", sample: wb.name, what: "`securemig gen secure-migration`",
		baseline: "bare `pg_dump --data-only` of the same tables (pinned `-t` patterns)"}
	if err := b.available(ctx, "gen", "secure-migration"); err != nil {
		r.note = err.Error()
		return r
	}
	if wb.sourceDSN == "" {
		r.note = "needs a successful import"
		return r
	}
	var tables []string             // pinned -t patterns of the tables gen dumped
	var phases []map[string]float64 // gen's own phase timings, per measured run
	gen := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		proj, err := b.newProject()
		if err != nil {
			return sample{}, err
		}
		s, err := child{name: "securemig gen secure-migration", dir: proj, env: []string{"DATABASE_URL=" + wb.sourceDSN},
			argv: wrapArgv(wrap, []string{b.bin, "gen", "secure-migration", "--contract-code", contractCode})}.run(ctx)
		if err != nil {
			b.removeProject(proj)
			return s, err
		}
		b.removeProject(wb.project) // keep only the latest, for apply
		prod := productionPath(s.stdout)
		if prod == "" {
			return s, fmt.Errorf("securemig gen secure-migration printed no 'production:' line")
		}
		if !filepath.IsAbs(prod) {
			prod = filepath.Join(proj, prod)
		}
		wb.project, wb.production = proj, prod
		if tables == nil {
			tables = dumpedTables(s.stdout)
			wb.tables = tables
		}
		if wrap == nil {
			phases = append(phases, genPhases(s.stdout))
		}
		return s, nil
	}
	dumpFile := filepath.Join(b.work, "pg_dump.sql")
	defer os.Remove(dumpFile)
	bare := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		if len(tables) == 0 {
			return sample{}, fmt.Errorf("securemig gen secure-migration printed no 'rows: TABLE N' lines")
		}
		argv := []string{"pg_dump", "--data-only", "--strict-names", "--format=plain", "--no-password"}
		for _, t := range tables {
			argv = append(argv, "--table="+t)
		}
		argv = append(argv, "--file="+dumpFile, "--dbname="+wb.sourceDSN)
		return child{name: "pg_dump", dir: b.root, argv: wrapArgv(wrap, argv)}.run(ctx)
	}
	as, bs, err := pairs(ctx, b.cfg.pairs, gen, bare)
	b.record("Generate", wb.tag, as)
	b.record("PgDump", wb.tag, bs)
	if err != nil {
		r.note = err.Error()
		return r
	}
	r.measured(as)
	r.against(as, bs)
	if fi, err := os.Stat(wb.production); err == nil {
		r.rate = fmt.Sprintf("%.1f MB/s (%.1f MB file)", float64(fi.Size())/1e6/r.wall.median, float64(fi.Size())/1e6)
	}
	r.detail = phaseDetail(phases, walls(bs))
	switch {
	case wb.scale == 1:
		r.checks = []check{below("generate ≤ 1.1× bare pg_dump", r.ratio.median, 1.1, true, fmtTimes)}
	case wb.scale == 25:
		r.checks = []check{below("--scale 25 generate ≤ 1.1× bare pg_dump", r.ratio.median, 1.1, true, fmtTimes)}
	}
	b.maybeProfile(ctx, &r, gen)
	return r
}

// dumpedTables returns a pinned pg_dump pattern for each table in gen's
// "rows: TABLE N" lines: the same tables, matched exactly, that gen dumps.
func dumpedTables(stdout string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(l), "rows:")
		f := strings.Fields(v)
		if !ok || len(f) != 2 {
			continue
		}
		schema, name, found := strings.Cut(f[0], ".")
		if !found {
			schema, name = "public", f[0]
		}
		out = append(out, dump.QuoteName(schema, name))
	}
	return out
}

// genPhaseNames are the phases of gen's "timing:" line, in order.
var genPhaseNames = []string{"prepare", "dump", "commit", "total"}

// genPhases parses gen's "timing: prepare 0.012s, dump 0.123s,
// ..." line into seconds per phase (empty when there is no such line).
func genPhases(stdout string) map[string]float64 {
	out := map[string]float64{}
	for _, l := range strings.Split(stdout, "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(l), "timing:")
		if !ok {
			continue
		}
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			i := strings.LastIndexByte(part, ' ')
			if i < 0 {
				continue
			}
			sec, err := strconv.ParseFloat(strings.TrimSuffix(part[i+1:], "s"), 64)
			if err == nil {
				out[part[:i]] = sec
			}
		}
	}
	return out
}

// phaseDetail summarises gen's own phase timings over the measured runs,
// with the dump phase (pg_dump streaming into the production file, the
// placeholder and the leak check) as a ratio to the
// bare pg_dump of the same pair.
func phaseDetail(phases []map[string]float64, bare []float64) string {
	if len(phases) == 0 || len(phases[0]) == 0 {
		return ""
	}
	var parts []string
	for _, name := range genPhaseNames {
		var xs []float64
		for _, p := range phases {
			if v, ok := p[name]; ok {
				xs = append(xs, v)
			}
		}
		if len(xs) == 0 {
			continue
		}
		part := name + " " + fmtWall(summarize(xs))
		if name == "dump" && len(xs) == len(bare) {
			part += " = " + fmtRatio(summarize(ratios(xs, bare))) + " bare pg_dump"
		}
		parts = append(parts, part)
	}
	return "phases reported by `gen` itself (`timing:` line), median (min–max): " + strings.Join(parts, "; ")
}

// productionPath finds the "production: PATH" line of gen's output.
func productionPath(stdout string) string {
	for _, l := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "production:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// apply measures 'securemig migrate' of the production file next to psql
// applying the same file in one transaction, each into a fresh database.
func (b *bench) apply(ctx context.Context, wb *workbook) result {
	r := result{stage: "apply", sample: wb.name, what: "`securemig migrate` of the production file, fresh database",
		baseline: "`psql -X -v ON_ERROR_STOP=1 -1 -f` of the same file, fresh database"}
	if err := b.available(ctx, "migrate"); err != nil {
		r.note = err.Error()
		return r
	}
	if wb.production == "" {
		r.note = "needs a generated secure migration"
		return r
	}
	secureDir := filepath.Dir(wb.production)
	// loaded counts the rows each side loaded on its first run, to check
	// that both apply the same data.
	loaded := map[string]int64{}
	count := func(ctx context.Context, side, dsn string) error {
		if _, ok := loaded[side]; ok {
			return nil
		}
		staging, rateEngine, err := countRows(ctx, dsn)
		loaded[side] = staging + rateEngine
		return err
	}
	migrate := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		name, dsn, err := b.freshDatabase(ctx, "apply")
		if err != nil {
			return sample{}, err
		}
		defer b.dropDatabase(ctx, name)
		argv := append([]string{b.bin, "migrate"}, migrateSchemaArgs...)
		argv = append(argv, "--path", "file://"+secureDir)
		s, err := child{name: "securemig migrate", dir: wb.project, env: []string{"DATABASE_URL=" + dsn},
			argv: wrapArgv(wrap, argv)}.run(ctx)
		if err != nil {
			return s, err
		}
		return s, count(ctx, "migrate", dsn)
	}
	psql := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		name, dsn, err := b.freshDatabase(ctx, "psql")
		if err != nil {
			return sample{}, err
		}
		defer b.dropDatabase(ctx, name)
		s, err := child{name: "psql", dir: wb.project,
			argv: wrapArgv(wrap, []string{"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1",
				"-f", wb.production, "-d", dsn})}.run(ctx)
		if err != nil {
			return s, err
		}
		return s, count(ctx, "psql", dsn)
	}
	as, bs, err := pairs(ctx, b.cfg.pairs, migrate, psql)
	b.record("Apply", wb.tag, as)
	b.record("Psql", wb.tag, bs)
	if err != nil {
		r.note = err.Error()
		return r
	}
	r.measured(as)
	r.against(as, bs)
	if loaded["migrate"] != loaded["psql"] || loaded["migrate"] == 0 {
		r.note = fmt.Sprintf("securemig migrate loaded %d rows, psql %d", loaded["migrate"], loaded["psql"])
	} else {
		r.rate = fmtRate(float64(loaded["migrate"])/r.wall.median, "rows")
	}
	if wb.scale == 1 {
		r.checks = []check{below("apply ≤ 1.2× psql", r.ratio.median, 1.2, true, fmtTimes)}
	}
	b.maybeProfile(ctx, &r, migrate)
	return r
}

// pipeline measures the whole 'make pricing-import' pipeline
// (scripts/pricing-import) in a scratch project on an empty database.
func (b *bench) pipeline(ctx context.Context, wb *workbook) result {
	r := result{stage: "pipeline", sample: wb.name,
		what: "`make pricing-import` (scripts/pricing-import: schema, import, report, generate, verify production file and placeholder), empty database"}
	pl := func(ctx context.Context, wrap func([]string) []string) (sample, error) {
		proj, err := b.newProject()
		if err != nil {
			return sample{}, err
		}
		defer b.removeProject(proj)
		name, dsn, err := b.srv.create(ctx, "pipeline", "")
		if err != nil {
			return sample{}, err
		}
		defer b.dropDatabase(ctx, name)
		return child{name: "scripts/pricing-import", dir: proj, timeout: 30 * time.Minute,
			env: []string{"DATABASE_URL=" + dsn, "SECUREMIG=" + b.bin, "XLSX=" + wb.xlsx,
				"CONTRACT_CODE=" + contractCode, "RATE_AREAS=" + wb.rateAreas, "ALLOW_FAIL=1"},
			argv: wrapArgv(wrap, []string{"bash", "scripts/pricing-import"})}.run(ctx)
	}
	ss, err := series(ctx, wb.runs, pl)
	b.record("Pipeline", wb.tag, ss)
	if err != nil {
		r.note = err.Error()
		return r
	}
	r.measured(ss)
	if wb.stagingRows > 0 {
		r.rate = fmtRate(float64(wb.stagingRows)/r.wall.median, "staging rows")
	}
	return r
}
