// The image's HEALTHCHECK: exit 0 when /ready answers 2xx within 4 s. CAUSEWAY_HEALTHCHECK_URL picks the
// URL (a proxy's admin /ready); by default the control plane's API on CAUSEWAY_API_PORT (5681).
const url = process.env.CAUSEWAY_HEALTHCHECK_URL || `http://127.0.0.1:${process.env.CAUSEWAY_API_PORT || 5681}/ready`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) {
    console.error(`${url}: ${res.status}`);
    process.exit(1);
  }
} catch (e) {
  console.error(`${url}: ${e.message}`);
  process.exit(1);
}
