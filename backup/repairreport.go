package backup

import (
	"fmt"
	"strings"
)

// Damaged reports whether the redundancy found anything wrong with the archive.
func (r RepairReport) Damaged() bool {
	return r.DamagedShards > 0 || r.DamagedCopies > 0 || r.Missing > 0 || r.Extra > 0
}

// String says for people what the redundancy found and repaired ("" when nothing).
func (r RepairReport) String() string {
	if !r.Damaged() {
		return ""
	}
	var parts []string
	if r.DamagedShards > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d block(s) damaged, %d repaired", r.DamagedShards, r.Groups, r.RepairedShards))
	}
	if r.DamagedCopies > 0 {
		parts = append(parts, fmt.Sprintf("%d copy(ies) of its header or trailer damaged", r.DamagedCopies))
	}
	if r.Missing > 0 {
		parts = append(parts, fmt.Sprintf("%d byte(s) missing at its end (a copy cut short), rebuilt", r.Missing))
	}
	if r.Extra > 0 {
		parts = append(parts, fmt.Sprintf("%d byte(s) after its end (appended to it), ignored", r.Extra))
	}
	return strings.Join(parts, "; ")
}
