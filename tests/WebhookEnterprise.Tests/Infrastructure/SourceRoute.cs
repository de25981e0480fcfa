using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace WebhookEnterprise.Tests.Infrastructure;

/// <summary>
/// A source and the one target that forwards from it, both made through the command line for
/// one test, with what a sender needs to post to the source.
/// </summary>
public sealed record SourceRoute(string Name, long SourceId, string Url, string Credentials)
{
    /// <summary>
    /// A request to the source with its Basic credentials; <paramref name="pathAndQuery"/> is
    /// appended to the source URL exactly as written.
    /// </summary>
    public HttpRequestMessage Request(HttpMethod method, string pathAndQuery = "")
    {
        var uri = new Uri(Url + pathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Credentials)));

        return request;
    }

    /// <summary>
    /// Sends a request written out by hand, so that header lines go on the wire exactly as
    /// given (HttpClient would join repeated names into one line), and answers the status code.
    /// The request target is the source's path unless <paramref name="requestTarget"/> says otherwise.
    /// </summary>
    public async Task<int> SendRawAsync(string method, IEnumerable<string> headerLines, byte[] body, string? requestTarget = null)
    {
        var uri = new Uri(Url);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        var stream = client.GetStream();

        var authorization = Convert.ToBase64String(Encoding.UTF8.GetBytes(Credentials));
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{method} {requestTarget ?? uri.AbsolutePath} HTTP/1.1\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: {uri.Authority}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Authorization: Basic {authorization}\r\n");
        foreach (var line in headerLines)
        {
            head.Append(line).Append("\r\n");
        }

        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()));
        await stream.WriteAsync(body);

        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync() ?? throw new IOException("The api closed the connection without answering.");

        return int.Parse(statusLine.Split(' ')[1], CultureInfo.InvariantCulture);
    }
}
