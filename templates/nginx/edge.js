// flix: the edge's own logic in njs (nginx's JavaScript; Debian's libnginx-mod-http-js, njs 0.7):
// which renditions a signed link opens, and AWS Signature V4 on the edge's requests to the origin,
// whose objects are private. Placed next to edge.conf by flix, and used as
//     js_import edge from <this file>;
//     js_set $flix_rendition_open edge.renditionOpen;  # "1" or "0" for $link_cap and $link_path
//     js_var $s3_amz_date;                             # per-request memo of the signing time
//     js_set $s3_uri           edge.uri;               # the request path as sent upstream
//     js_set $s3_date          edge.date;              # x-amz-date
//     js_set $s3_authorization edge.authorization;
// reading $s3_access_key, $s3_secret_key (from a 0600 include), $s3_host and $s3_region.
//
// What is signed: "GET" (the location must say `proxy_method GET;` - with proxy_cache on nginx
// turns HEAD into GET upstream anyway), $s3_uri with no query string, and the three headers
// host;x-amz-content-sha256;x-amz-date, x-amz-content-sha256 being UNSIGNED-PAYLOAD.
// js_set handlers run lazily: authorization/date only when nginx builds a request to the origin
// (not on a cache HIT); uri on every request, since proxy_pass is evaluated before the cache lookup.
// Must be GET-only and query-less: the canonical request has an empty query string.

const crypto = require('crypto');

const SERVICE = 's3';
const PAYLOAD_HASH = 'UNSIGNED-PAYLOAD';
const SIGNED_HEADERS = 'host;x-amz-content-sha256;x-amz-date';
const HEX = '0123456789ABCDEF';

// RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) are sent as is; every other byte,
// '+', space, '!', '*', '\'', '(' and ')' included, is %XX-encoded; '/' separates segments.
function encodePath(bytes) {
    let out = '';
    for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)
            || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e || b === 0x2f) {
            out += String.fromCharCode(b);
        } else {
            out += '%' + HEX[b >> 4] + HEX[b & 15];
        }
    }
    return out;
}

// $uri is the decoded, normalized (and possibly rewritten) path; its raw bytes are encoded
// again exactly once. Working on bytes (r.rawVariables gives a Buffer) keeps any UTF-8 key intact.
function uri(r) {
    return encodePath(r.rawVariables.uri);
}

// One timestamp per request, shared by $s3_date and $s3_authorization whichever nginx evaluates
// first: they are separate js_set handlers (each run once per request, njs 0.7.9 caches a js_set
// value for the request) and could otherwise straddle a second boundary. The memo is the js_var
// $s3_amz_date, which is fresh (empty) in every request and subrequest. Never reference
// $s3_amz_date in nginx config itself: it is not cacheable, so a complex value using it changes
// length between nginx's length and copy passes ("no buffer space in script copy", 500).
function date(r) {
    let d = r.variables.s3_amz_date;
    if (!d) {
        // 2024-01-02T03:04:05.678Z -> 20240102T030405Z
        const iso = new Date().toISOString();
        d = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 13) + iso.slice(14, 16)
            + iso.slice(17, 19) + 'Z';
        r.variables.s3_amz_date = d;
    }
    return d;
}

function hmac(key, data) {
    return crypto.createHmac('sha256', key).update(data).digest();
}

function authorization(r) {
    const v = r.variables;
    const accessKey = v.s3_access_key;
    const secretKey = v.s3_secret_key;
    const host = v.s3_host;
    if (!accessKey || !secretKey || !host) {
        r.error('s3sign: $s3_access_key, $s3_secret_key and $s3_host must be set');
        return '';
    }
    const region = v.s3_region || 'us-east-1';
    const amzDate = date(r);
    const day = amzDate.slice(0, 8);
    const scope = day + '/' + region + '/' + SERVICE + '/aws4_request';

    const canonicalRequest = 'GET\n'
        + uri(r) + '\n'
        + '\n' // no query string
        + 'host:' + host + '\n'
        + 'x-amz-content-sha256:' + PAYLOAD_HASH + '\n'
        + 'x-amz-date:' + amzDate + '\n'
        + '\n'
        + SIGNED_HEADERS + '\n'
        + PAYLOAD_HASH;

    const stringToSign = 'AWS4-HMAC-SHA256\n' + amzDate + '\n' + scope + '\n'
        + crypto.createHash('sha256').update(canonicalRequest).digest('hex');

    const kDate = hmac('AWS4' + secretKey, day);
    const kRegion = hmac(kDate, region);
    const kService = hmac(kRegion, SERVICE);
    const kSigning = hmac(kService, 'aws4_request');
    const signature = crypto.createHmac('sha256', kSigning).update(stringToSign).digest('hex');

    return 'AWS4-HMAC-SHA256 Credential=' + accessKey + '/' + scope
        + ', SignedHeaders=' + SIGNED_HEADERS + ', Signature=' + signature;
}

// A signed link names the tallest rendition it opens ($link_cap: a height, 0 for all). Packages
// keep each rendition under video/<height>p/, so a path there above the cap is refused; every
// other path of the title (manifests, audio, subtitles, images) is open. $link_path is nginx's
// decoded and normalised $uri capture, so "../" cannot climb past the check.
function renditionOpen(r) {
    const cap = Number(r.variables.link_cap);
    if (!cap) return '1';
    const m = /^video\/(\d+)p\//.exec(r.variables.link_path || '');
    return !m || Number(m[1]) <= cap ? '1' : '0';
}

export default { uri, date, authorization, encodePath, renditionOpen };
