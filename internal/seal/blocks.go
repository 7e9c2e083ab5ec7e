package seal

import (
	"context"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// BlockSize is the number of ids per block of block_changes_state (sql/clickhouse/0010), as
// per order-id bucket of id_bounds_state.
const BlockSize = 1024

// Blocks are when each changed block of ids of one source last changed. A change of a row
// names only the row's block, not the hours that counted its earlier versions; those hours
// are the ones whose id bounds overlap the block (every row ever in an hour is within them),
// so an hour's last change includes that of the blocks of its ids (Last).
type Blocks struct {
	blocks []int64 // ascending
	at     []time.Time
}

// ReadBlocks reads from table, a block_changes_state, the blocks of source that hold an id in
// [lo, hi]; none when lo > hi.
func ReadBlocks(ctx context.Context, conn driver.Conn, table, source string, lo, hi int64) (Blocks, error) {
	var b Blocks
	if lo > hi {
		return b, nil
	}
	rows, err := conn.Query(ctx, `SELECT block, maxMerge(changed) FROM `+table+`
		WHERE source = ? AND block >= ? AND block <= ? GROUP BY block ORDER BY block`, source, lo/BlockSize, hi/BlockSize)
	if err != nil {
		return b, err
	}
	defer rows.Close()
	for rows.Next() {
		var block int64
		var at time.Time
		if err := rows.Scan(&block, &at); err != nil {
			return b, err
		}
		b.blocks, b.at = append(b.blocks, block), append(b.at, at)
	}
	return b, rows.Err()
}

// Last is the newest change of the blocks that hold an id in ids [lo, hi]; zero when lo > hi
// or none of them changed.
func (b Blocks) Last(ids [2]int64) time.Time {
	var last time.Time
	if ids[0] > ids[1] {
		return last
	}
	first, end := ids[0]/BlockSize, ids[1]/BlockSize
	for i := sort.Search(len(b.blocks), func(i int) bool { return b.blocks[i] >= first }); i < len(b.blocks) && b.blocks[i] <= end; i++ {
		if b.at[i].After(last) {
			last = b.at[i]
		}
	}
	return last
}

// Bounds is the smallest range holding every non-empty range of ranges; lo > hi when none.
func Bounds(ranges ...[2]int64) [2]int64 {
	out := [][2]int64{{1, 0}}
	for _, r := range ranges {
		out = merge(out, [][2]int64{r})
	}
	return out[0]
}
