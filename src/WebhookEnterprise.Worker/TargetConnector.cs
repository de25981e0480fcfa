using System.Net;
using System.Net.Sockets;

namespace WebhookEnterprise.Worker;

/// <summary>The target's host resolves only to addresses that deliveries may not reach.</summary>
public sealed class BlockedAddressException(string message) : Exception(message);

/// <summary>
/// Opens connections to targets while <see cref="WorkerOptions.BlockPrivateNetworks"/> is on: it
/// resolves the host itself, sets aside every address in a network of
/// <see cref="PrivateNetworks"/> (unless <see cref="WorkerOptions.AllowedPrivateNetworks"/>
/// lists it), and connects to one of the addresses left. The address checked is the address
/// connected to, so a name cannot pass the check with one address and connect to another.
/// </summary>
public sealed class TargetConnector(WorkerOptions options)
{
    private readonly IPNetwork[] _allowed = [.. options.AllowedPrivateNetworks.Select(IPNetwork.Parse)];

    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/>.</summary>
    public async ValueTask<Stream> ConnectAsync(
        SocketsHttpConnectionContext context,
        CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.TrimStart('[').TrimEnd(']');
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);

        var usable = new List<IPAddress>(addresses.Length);
        string? refusal = null;
        foreach (var address in addresses)
        {
            if (PrivateNetworks.Classify(address) is { } kind && !_allowed.Any(network => network.Contains(address)))
            {
                refusal ??= literal is null
                    ? $"{host} resolves to {address}, in the {kind} range, which Worker:BlockPrivateNetworks forbids."
                    : $"{address} is in the {kind} range, which Worker:BlockPrivateNetworks forbids.";

                continue;
            }

            usable.Add(address);
        }

        if (usable.Count == 0)
        {
            throw new BlockedAddressException(refusal ?? $"{host} resolves to no address.");
        }

        SocketException? failure = null;
        foreach (var address in usable)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);

                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failure = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw failure!;
    }
}
