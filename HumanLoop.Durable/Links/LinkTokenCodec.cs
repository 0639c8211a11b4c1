using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace HumanLoop.Durable.Links;

/// <summary>
/// Turns a <see cref="LinkToken"/> into the URL-safe text a link carries and back, with ASP.NET Core Data Protection
/// (AES-256-CBC with HMAC-SHA256 under the shared key ring): a token changed in any byte, or made with another key
/// ring or purpose, does not read.
/// </summary>
/// <remarks>
/// The expiry is inside the protected payload and is checked by the caller against its <see cref="TimeProvider"/>,
/// rather than by <c>ITimeLimitedDataProtector</c>, which reads the wall clock and reports an expired token as it
/// reports a forged one; a link page must tell the two apart (410, not 400).
/// </remarks>
public sealed class LinkTokenCodec
{
    /// <summary>The Data Protection purpose of link tokens; a payload protected for any other purpose does not read.</summary>
    public const string Purpose = "HumanLoop.Links.ActionLinkToken.v1";

    /// <summary>The longest token text accepted; anything longer is refused before any cryptography.</summary>
    public const int MaxTokenLength = 4096;

    private const byte FormatVersion = 1;
    private const int IdBytes = 16;

    private readonly IDataProtector _protector;

    /// <summary>Creates the codec over a Data Protection provider (the hub's shared key ring).</summary>
    /// <param name="provider">The provider.</param>
    public LinkTokenCodec(IDataProtectionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _protector = provider.CreateProtector(Purpose);
    }

    /// <summary>A new random token id: 16 bytes as 22 URL-safe characters.</summary>
    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(IdBytes));

    /// <summary>Protects a token.</summary>
    /// <param name="token">The token.</param>
    /// <returns>URL-safe base64 text.</returns>
    public string Protect(LinkToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            writer.Write(token.Id);
            writer.Write(token.RunId);
            writer.Write(token.RequestId);
            writer.Write(token.Action);
            writer.Write(token.Assignee);
            writer.Write(token.EscalationLevel);
            writer.Write(token.IssuedAt.ToUnixTimeMilliseconds());
            writer.Write(token.ExpiresAt.ToUnixTimeMilliseconds());
        }

        return Base64Url.EncodeToString(_protector.Protect(buffer.ToArray()));
    }

    /// <summary>Reads a token; false for text that is not a token this key ring protected (malformed, altered, forged).</summary>
    /// <param name="text">The text from the link.</param>
    /// <param name="token">The token, when it reads.</param>
    public bool TryUnprotect(string? text, [NotNullWhen(true)] out LinkToken? token)
    {
        token = null;
        if (string.IsNullOrEmpty(text) || text.Length > MaxTokenLength || !Base64Url.IsValid(text))
        {
            return false;
        }

        byte[] payload;
        try
        {
            payload = _protector.Unprotect(Base64Url.DecodeFromChars(text));
        }
        catch (CryptographicException)
        {
            return false;
        }
        catch (FormatException)
        {
            return false;
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
            if (reader.ReadByte() != FormatVersion)
            {
                return false;
            }

            var read = new LinkToken
            {
                Id = reader.ReadString(),
                RunId = reader.ReadString(),
                RequestId = reader.ReadString(),
                Action = reader.ReadString(),
                Assignee = reader.ReadString(),
                EscalationLevel = reader.ReadInt32(),
                IssuedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64()),
                ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64()),
            };
            if (reader.BaseStream.Position != payload.Length)
            {
                return false;
            }

            token = read;
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentOutOfRangeException or FormatException)
        {
            token = null;
            return false;
        }
    }
}
