# Shared by the security scenarios whose victim is a vdeflow (sourced after lib.sh): victim_verdict
# PID FILE UID waits for the vdeflow of PID, which wrote FILE, and appends to BAD what went wrong with
# uid UID's traffic: no result, a corrupted frame, or less than 90 % of its frames through.
victim_verdict() {
	local pid=$1 out=$2 uid=$3 stats sent ok corrupt
	wait "$pid" || true
	stats=$(grep '^sent ' "$out" || true)
	log "victim: $stats"
	if [ -z "$stats" ]; then
		BAD+=("the victim's traffic tool gave no result: $(tail -n 3 "$out")")
		return
	fi
	read -r _ sent _ ok _ corrupt _ <<<"$stats"
	[ "$corrupt" = 0 ] || BAD+=("uid $uid's frames arrived corrupted during the attack: $stats")
	[ $((ok * 10)) -ge $((sent * 9)) ] || BAD+=("uid $uid's traffic stalled during the attack: $stats")
}
