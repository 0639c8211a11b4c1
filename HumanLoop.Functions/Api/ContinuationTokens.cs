using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace HumanLoop.Functions.Api;

/// <summary>
/// Wraps the store's continuation token for the <c>x-ms-continuation-token</c> header in an authenticated, versioned
/// form, <c>hl2.{base64url(store token)}.{base64url(HMAC-SHA256)}</c>, so that a token this API did not issue (forged,
/// altered, truncated, or from an older version) is refused with a 400 instead of starting a scan wherever it points.
/// </summary>
/// <remarks>
/// The key comes from <c>HumanLoop:Http:ContinuationTokenKey</c> when it is set, so every host of one hub accepts the
/// others' tokens; otherwise it is random per process, and a token works only on the host that issued it, until it restarts.
/// </remarks>
internal sealed class ContinuationTokens
{
    /// <summary>The shortest secret accepted in the setting.</summary>
    public const int MinimumSecretLength = 16;

    private const string Prefix = "hl2.";
    private const int KeyBytes = 32;

    // Binds the derived key to this use, so the same secret used elsewhere yields a different key.
    private static readonly byte[] KeyInfo = "HumanLoop.ContinuationTokens.v2"u8.ToArray();

    private readonly byte[] _key;

    private ContinuationTokens(byte[] key) => _key = key;

    /// <summary>Creates the tokens' key: derived from <paramref name="secret"/> (HKDF-SHA256), or random when it is empty.</summary>
    /// <param name="secret">The configured secret, or null or blank for a random per-process key.</param>
    /// <param name="settingName">The setting's name, for the error message.</param>
    /// <exception cref="InvalidOperationException">The secret is shorter than <see cref="MinimumSecretLength"/>.</exception>
    public static ContinuationTokens FromSecret(string? secret, string settingName)
    {
        if (string.IsNullOrWhiteSpace(secret))
        {
            return new ContinuationTokens(RandomNumberGenerator.GetBytes(KeyBytes));
        }

        secret = secret.Trim();
        if (secret.Length < MinimumSecretLength)
        {
            throw new InvalidOperationException(
                $"Setting '{settingName}' must be at least {MinimumSecretLength} characters long (for example the output of: openssl rand -base64 32), not {secret.Length}.");
        }

        return new ContinuationTokens(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), KeyBytes, salt: [], info: KeyInfo));
    }

    /// <summary>Wraps and signs a store token.</summary>
    public string Encode(string storeToken)
    {
        var signed = Prefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(storeToken));
        return signed + "." + Base64Url.EncodeToString(Mac(signed));
    }

    /// <summary>Unwraps a token this API issued with the same key; false for anything else.</summary>
    public bool TryDecode(string token, out string storeToken)
    {
        storeToken = string.Empty;
        var dot = token.LastIndexOf('.');
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || dot <= Prefix.Length)
        {
            return false;
        }

        // The signature's text is compared, not its decoded bytes, so a variant spelling of the same bytes (base64's
        // unused trailing bits) is refused too.
        var expected = Base64Url.EncodeToString(Mac(token[..dot]));
        if (!CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(token.AsSpan(dot + 1)), MemoryMarshal.AsBytes(expected.AsSpan())))
        {
            return false;
        }

        try
        {
            storeToken = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.AsSpan(Prefix.Length, dot - Prefix.Length)));
            return storeToken.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private byte[] Mac(string signed) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(signed));
}
