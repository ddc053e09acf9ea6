"""File transfers a charger makes on the CSMS's request: the firmware download (HTTP GET of the
location) and the diagnostics / log upload.

The upload is an HTTP POST of a multipart/form-data body whose one part, `file`, is the log with its
file name (what `curl -F file=@name URL` sends), the way HTTP-capable chargers upload: OCPP 1.6 leaves
the transfer to FTP(S) or HTTP(S) and 2.0.1 to the URL's scheme. Only http and https are supported;
any other scheme fails the transfer (UploadFailed / DownloadFailed), as on a charger without FTP.
A status of 400 or more is a failed transfer; so is no answer within the timeout.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from domain.failures import FailureCode
from ocpp_bridge.core.effects import Answered, Download, Failed, Upload

SCHEMES = ("http", "https")


async def transfer(effect: Download | Upload, timeout: float) -> Answered | Failed:
    """Perform a Download or an Upload; the server's answer or why there is none."""
    scheme = urlsplit(effect.url).scheme.lower()
    if scheme not in SCHEMES:
        return Failed(FailureCode.NOT_SUPPORTED, f"{scheme or 'no'} scheme: only http and https transfers")
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
            if isinstance(effect, Download):
                response = await client.get(effect.url)
            else:
                files = {"file": (effect.file_name, effect.body, "text/plain")}
                response = await client.post(effect.url, files=files)
    except httpx.TimeoutException:
        return Failed(FailureCode.CSMS_TIMEOUT, f"no answer from {effect.url} in {timeout}s")
    except httpx.HTTPError as error:
        return Failed(FailureCode.CSMS_ERROR, f"{effect.url}: {type(error).__name__}: {error}")
    if response.status_code >= 400:
        return Failed(FailureCode.CSMS_ERROR, f"{effect.url} answered HTTP {response.status_code}")
    return Answered(response.content if isinstance(effect, Download) else None)
