using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using WebhookEnterprise.Core;

namespace WebhookEnterprise.Api;

/// <summary>
/// Builds the URL a source's sender calls, <c>http://key:secret@host:4698/id</c>, from the
/// configured public URL or, when none is set, the first address the api listens on.
/// </summary>
public sealed class PublicUrl(IOptions<ApiOptions> options, IServer server)
{
    public string ForSource(Source source)
    {
        var baseUri = new Uri(Base());
        var path = baseUri.AbsolutePath.TrimEnd('/');
        var id = source.Id.ToString(CultureInfo.InvariantCulture);

        return $"{baseUri.Scheme}://{source.Key}:{source.Secret}@{baseUri.Authority}{path}/{id}";
    }

    private string Base()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicUrl))
        {
            return options.Value.PublicUrl;
        }

        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? ApiOptions.DefaultUrl;

        // Kestrel reports wildcard bindings as written; senders on this machine reach them on 0.0.0.0.
        return address.Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal)
            .Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal)
            .Replace("://[::]:", "://localhost:", StringComparison.Ordinal);
    }
}
