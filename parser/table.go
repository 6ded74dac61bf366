package parser

// table tracks one vertical table of a sheet (spec 2.5): it starts at a fixed
// data row and ends at the first row whose key cell is blank.
type table struct {
	start  int   // first data row
	limit  int   // last row the table may use (0: none)
	keyCol int   // key column
	cols   []int // the table's other columns
	single bool  // one table per key column: warn on data after the end
	onRow  func(r *row)

	next   int // next expected row
	ended  bool
	end    int // last data row
	warned bool
	rows   int
}

// feed passes one sheet row (rows arrive in ascending order).
func (t *table) feed(s *sheetCtx, r *row) {
	if r.n < t.start {
		return
	}
	if t.next == 0 {
		t.next = t.start
	}
	if !t.ended {
		switch {
		case r.n > t.next || t.limit > 0 && r.n > t.limit:
			t.ended, t.end = true, t.next-1 // row t.next has no cells at all
		case isBlank(r.get(t.keyCol)):
			t.ended, t.end = true, r.n-1
			if r.anyIn(t.cols) {
				s.errorf(KindEmptyCell, r.n, t.keyCol, "row %d has values but no key; table ends at row %d", r.n, t.end)
			}
			return
		default:
			t.rows++
			t.next = r.n + 1
			t.onRow(r)
			return
		}
	}
	if t.single && !t.warned && !isBlank(r.get(t.keyCol)) {
		t.warned = true
		s.warnf(KindDataAfterEnd, r.n, t.keyCol, "data after the end of the table (it ends at row %d)", t.end)
	}
}

// requireRows reports an empty table.
func (t *table) requireRows(s *sheetCtx, what string) {
	if t.rows == 0 {
		s.errorf(KindEmptyCell, t.start, t.keyCol, "%s: no data rows", what)
	}
}

// keyed detects duplicate keys: the first cell of each key is remembered.
type keyed map[string]Cell

// dup reports whether key was seen; if so it reports a duplicate_key error at
// (row, col) naming the first cell.
func (k keyed) dup(s *sheetCtx, key, what string, row, col int) bool {
	if first, ok := k[key]; ok {
		s.errorf(KindDuplicateKey, row, col, "duplicate %s, first at %s", what, first)
		return true
	}
	k[key] = s.cell(row, col)
	return false
}
