using System.Security.Cryptography;
using OnnxKit.IO;

namespace OnnxKit.Training.Data;

/// <summary>
/// Downloads a file and checks its SHA-256 before it becomes visible: the bytes go to a temporary file in the
/// destination's folder and are renamed onto the destination only when the hash matches, so an interrupted or
/// corrupted download never leaves a file that a later run would take for good. <c>file://</c> URLs are copied
/// from disk the same way (useful for mirrors on a shared drive, and for tests).
/// </summary>
public sealed class DatasetDownloader
{
    private readonly HttpClient _http;

    /// <summary>A downloader using <paramref name="handler"/> (default: a plain <see cref="HttpClientHandler"/>).</summary>
    public DatasetDownloader(HttpMessageHandler? handler = null) =>
        _http = new HttpClient(handler ?? new HttpClientHandler(), disposeHandler: true) { Timeout = TimeSpan.FromMinutes(30) };

    /// <summary>Downloads <paramref name="url"/> to <paramref name="destination"/>, checking its SHA-256 (hex).</summary>
    /// <exception cref="InvalidDataException">The hash differs: names the URL and both hashes; nothing is left behind.</exception>
    /// <exception cref="HttpRequestException">The server answered with an error status.</exception>
    public async Task DownloadAsync(Uri url, string destination, string sha256, CancellationToken cancellationToken = default)
    {
        using var file = AtomicFile.Begin(destination);
        string actual;
        await using (var output = new FileStream(file.TemporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await using var input = await OpenAsync(url, cancellationToken).ConfigureAwait(false);
            actual = await CopyHashingAsync(input, output, cancellationToken).ConfigureAwait(false);
        }
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"download of {url}: SHA-256 is {actual}, expected {sha256.ToLowerInvariant()}; the file was discarded");
        file.Commit();
    }

    /// <summary>Synchronous form of <see cref="DownloadAsync"/>.</summary>
    public void Download(Uri url, string destination, string sha256) => DownloadAsync(url, destination, sha256).GetAwaiter().GetResult();

    private async Task<Stream> OpenAsync(Uri url, CancellationToken ct)
    {
        if (url.IsFile) return new FileStream(url.LocalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new HttpRequestException($"download of {url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
        return await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
    }

    private static async Task<string> CopyHashingAsync(Stream input, Stream output, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
