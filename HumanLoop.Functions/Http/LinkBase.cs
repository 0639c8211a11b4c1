using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace HumanLoop.Functions.Http;

/// <summary>
/// Where the absolute links in responses (<c>Location</c>, the management links) point: the configured base URL when
/// there is one; otherwise the request's own scheme and host, but only when the <c>Host</c> header names this server
/// (one of its listening addresses; a loopback name when it listens on loopback or on every interface; on every
/// interface, also the machine's name or the local address the request came in on). Any other host, such as a forged
/// <c>Host: evil.example</c>, gets the listening address the request arrived on, so a link, which carries the
/// caller's key, never points at a server the caller did not call.
/// </summary>
/// <param name="configuredBase">The base URL from <see cref="ParseBaseUrl"/>, or null to follow the request as above.</param>
/// <param name="server">The server, whose listening addresses tell this server's host names and are the fallback.</param>
internal sealed class LinkBase(string? configuredBase, IServer server)
{
    /// <summary>Checks and normalises the base-URL setting (no trailing slash).</summary>
    /// <param name="setting">The configured base URL (absolute http or https, no query or fragment), or null or blank for none.</param>
    /// <param name="settingName">The setting's name, for the error message.</param>
    /// <returns>The base URL, or null when none is configured.</returns>
    /// <exception cref="InvalidOperationException">The setting is not an absolute http or https URL without query, fragment and user info.</exception>
    public static string? ParseBaseUrl(string? setting, string settingName)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return null;
        }

        if (!Uri.TryCreate(setting.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.Query.Length > 0
            || uri.Fragment.Length > 0
            || uri.UserInfo.Length > 0)
        {
            throw new InvalidOperationException(
                $"Setting '{settingName}' must be an absolute http or https URL without query, fragment or user info, such as https://humanloop.example.com, not '{setting}'.");
        }

        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    /// <summary>Returns the links' base for <paramref name="request"/>, such as <c>http://localhost:7071</c>, without a trailing slash.</summary>
    public string For(HttpRequest request)
    {
        if (configuredBase is not null)
        {
            return configuredBase;
        }

        var bindings = ListeningAddresses();
        var origin = IsOwnHost(request, bindings)
            ? $"{request.Scheme}://{request.Host.ToUriComponent()}"
            : Fallback(request, bindings);
        return origin + request.PathBase.ToUriComponent();
    }

    private List<BindingAddress> ListeningAddresses()
    {
        var list = new List<BindingAddress>();
        foreach (var address in server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            try
            {
                var binding = BindingAddress.Parse(address);
                if (!binding.IsUnixPipe)
                {
                    list.Add(binding);
                }
            }
            catch (FormatException)
            {
                // Not an address links can use.
            }
        }

        return list;
    }

    private static bool IsOwnHost(HttpRequest request, List<BindingAddress> bindings)
    {
        if (!request.Host.HasValue)
        {
            return false;
        }

        var host = Bare(request.Host.Host);
        var port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        foreach (var binding in bindings)
        {
            if (binding.Port != port || !string.Equals(binding.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var bound = Bare(binding.Host);
            if (string.Equals(bound, host, StringComparison.OrdinalIgnoreCase)
                || ((IsLoopback(bound) || IsWildcard(bound)) && IsLoopback(host))
                || (IsWildcard(bound) && (string.Equals(host, Environment.MachineName, StringComparison.OrdinalIgnoreCase) || IsLocalAddress(request, host))))
            {
                return true;
            }
        }

        return false;
    }

    // The listening address the request arrived on (by local port), else the first one; a wildcard host becomes the
    // local address of the connection.
    private static string Fallback(HttpRequest request, List<BindingAddress> bindings)
    {
        if (bindings.Count == 0)
        {
            return $"{request.Scheme}://localhost";
        }

        var connection = request.HttpContext.Connection;
        var binding = bindings.FirstOrDefault(b => b.Port == connection.LocalPort) ?? bindings[0];
        var host = binding.Host;
        if (IsWildcard(Bare(host)))
        {
            host = connection.LocalIpAddress is { } local ? Format(local) : "localhost";
        }

        return $"{binding.Scheme}://{host}:{binding.Port}";
    }

    private static bool IsLocalAddress(HttpRequest request, string host) =>
        IPAddress.TryParse(host, out var address)
        && request.HttpContext.Connection.LocalIpAddress is { } local
        && Normalize(local).Equals(Normalize(address));

    private static string Format(IPAddress address)
    {
        address = Normalize(address);
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static string Bare(string host) => host.Length > 1 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    private static bool IsWildcard(string host) => host is "*" or "+" or "0.0.0.0" or "::";
}
