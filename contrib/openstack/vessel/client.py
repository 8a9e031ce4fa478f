"""HTTP client for vesseld's REST API, over its unix socket or TCP.

The Nova driver (driver.py) talks to vesseld only through this module. It
uses the standard library alone (http.client with a connect() that opens a
unix socket), so nothing beyond Debian's python3 is needed. Every non-2xx
answer becomes a VesselAPIError carrying vesseld's JSON error (`code`,
`message`, `field`, see docs/api/openapi.yaml); a socket that cannot be
reached becomes VesselUnavailable. The mapping of those onto Nova's
exceptions lives in the driver, not here, so this client stays usable by a
Zun driver or a script.
"""

import http.client
import json
import socket
import urllib.parse


class VesselError(Exception):
    """Base of the client's errors."""


class VesselUnavailable(VesselError):
    """vesseld cannot be reached (socket missing, refused, timed out)."""


class VesselAPIError(VesselError):
    """vesseld answered with an error status and its JSON error body."""

    def __init__(self, status, code, message, field=None, method='', path=''):
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.method = method
        self.path = path
        where = ' (field %s)' % field if field else ''
        super().__init__('vesseld %s %s: %d %s: %s%s' % (
            method, path, status, code, message, where))


class _UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a unix stream socket."""

    def __init__(self, path, timeout):
        super().__init__('localhost', timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self._path)
        except OSError:
            s.close()
            raise
        self.sock = s


class VesselClient(object):
    """One vesseld endpoint.

    :param url: ``unix:///run/vessel/vesseld.sock`` (or a bare socket path),
        ``http://127.0.0.1:8420`` or ``https://...``
    :param token: bearer token for TCP (vesseld requires it there)
    :param timeout: seconds per request; creating a VNF boots its microVM,
        so callers pass a generous one
    """

    def __init__(self, url, token=None, timeout=300.0):
        self.url = url
        self.token = token
        self.timeout = timeout
        if url.startswith('/'):
            url = 'unix://' + url
        u = urllib.parse.urlsplit(url)
        if u.scheme == 'unix':
            self._unix = u.path
        elif u.scheme in ('http', 'https'):
            self._unix = None
            self._scheme, self._netloc = u.scheme, u.netloc
        else:
            raise ValueError('vessel api_url %r: scheme must be unix, http '
                             'or https' % url)

    def _connect(self, timeout):
        if self._unix:
            return _UnixHTTPConnection(self._unix, timeout)
        if self._scheme == 'https':
            return http.client.HTTPSConnection(self._netloc, timeout=timeout)
        return http.client.HTTPConnection(self._netloc, timeout=timeout)

    def request(self, method, path, body=None, raw=None, ctype=None,
                query=None, timeout=None):
        """Sends one request; returns the decoded JSON (or text) body.

        :param body: JSON-serialisable object sent as application/json
        :param raw: bytes or a binary file object sent as is (image upload)
        :param query: dict of query parameters (None values are dropped)
        :returns: dict/list for JSON answers, str for text, None for 204
        :raises: VesselAPIError for a 4xx/5xx, VesselUnavailable when the
            endpoint cannot be reached
        """
        if query:
            q = {k: v for k, v in query.items() if v is not None}
            if q:
                path = path + '?' + urllib.parse.urlencode(q)
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers['Content-Type'] = 'application/json'
        elif raw is not None:
            data = raw
            headers['Content-Type'] = ctype or 'application/octet-stream'
            if hasattr(raw, 'seek'):
                raw.seek(0, 2)
                headers['Content-Length'] = str(raw.tell())
                raw.seek(0)
        if self.token:
            headers['Authorization'] = 'Bearer ' + self.token
        conn = self._connect(timeout or self.timeout)
        try:
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
            except (OSError, http.client.HTTPException) as e:
                raise VesselUnavailable('vesseld at %s: %s %s: %s' % (
                    self.url, method, path, e)) from e
        finally:
            conn.close()
        text = payload.decode('utf-8', 'replace')
        is_json = resp.getheader('Content-Type', '').startswith(
            'application/json')
        if resp.status >= 400:
            err = {}
            if is_json:
                try:
                    err = json.loads(text).get('error') or {}
                except ValueError:
                    err = {}
            raise VesselAPIError(resp.status, err.get('code', 'http_%d' %
                                                      resp.status),
                                 err.get('message', text.strip()[:200]),
                                 err.get('field'), method, path)
        if resp.status == 204 or not payload:
            return None
        return json.loads(text) if is_json else text

    # Thin helpers named after the routes; ids are VNF ids or names.
    def node(self):
        return self.request('GET', '/v1/node')

    def vnf_get(self, ref):
        return self.request('GET', '/v1/vnfs/' + urllib.parse.quote(ref, ''))

    def vnf_list(self, label=None):
        return self.request('GET', '/v1/vnfs',
                            query={'label': label})['vnfs']

    def vnf_create(self, spec):
        return self.request('POST', '/v1/vnfs', body=spec)

    def vnf_delete(self, ref):
        return self.request('DELETE',
                            '/v1/vnfs/' + urllib.parse.quote(ref, ''))

    def vnf_action(self, ref, action, body=None):
        return self.request('POST', '/v1/vnfs/%s/%s' % (
            urllib.parse.quote(ref, ''), action), body=body)

    def vnf_logs(self, ref, source='workload', tail=None):
        return self.request('GET', '/v1/vnfs/%s/logs' % urllib.parse.quote(
            ref, ''), query={'source': source, 'tail': tail}) or ''

    def vnf_stats(self, ref):
        return self.request('GET', '/v1/vnfs/%s/stats' % urllib.parse.quote(
            ref, ''))

    def image_get(self, ref):
        return self.request('GET',
                            '/v1/images/' + urllib.parse.quote(ref, ''))

    def image_import(self, fileobj, name=None):
        return self.request('POST', '/v1/images', raw=fileobj,
                            ctype='application/x-tar',
                            query={'name': name})

    def network_get(self, name):
        return self.request('GET',
                            '/v1/networks/' + urllib.parse.quote(name, ''))

    def network_create(self, spec):
        return self.request('POST', '/v1/networks', body=spec)

    def network_delete(self, name):
        return self.request('DELETE',
                            '/v1/networks/' + urllib.parse.quote(name, ''))
