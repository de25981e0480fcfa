using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;

namespace WebhookEnterprise.Core;

/// <summary>
/// The JSON escaping of everything people read (log records, command-line output): what
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> escapes, except characters beyond
/// the Basic Multilingual Plane. The built-in encoders always write those as surrogate
/// escapes, so an emoji in a payload would print as <c>\uD83D\uDE80</c> instead of itself.
/// The output is valid JSON for UTF-8 readers; it is not meant for embedding in HTML.
/// </summary>
public sealed class ReadableJsonEncoder : JavaScriptEncoder
{
    private static readonly JavaScriptEncoder Relaxed = UnsafeRelaxedJsonEscaping;

    private ReadableJsonEncoder()
    {
    }

    public static ReadableJsonEncoder Instance { get; } = new();

    public override int MaxOutputCharactersPerInputCharacter => Relaxed.MaxOutputCharactersPerInputCharacter;

    public override bool WillEncode(int unicodeScalar) =>
        unicodeScalar <= char.MaxValue && Relaxed.WillEncode(unicodeScalar);

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        var offset = 0;
        while (offset < textLength)
        {
            var found = Relaxed.FindFirstCharacterToEncode(text + offset, textLength - offset);
            if (found < 0)
            {
                return -1;
            }

            var index = offset + found;
            if (!char.IsHighSurrogate(text[index]) || index + 1 >= textLength || !char.IsLowSurrogate(text[index + 1]))
            {
                return index;
            }

            offset = index + 2;
        }

        return -1;
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        var offset = 0;
        while (offset < utf8Text.Length)
        {
            var found = Relaxed.FindFirstCharacterToEncodeUtf8(utf8Text[offset..]);
            if (found < 0)
            {
                return -1;
            }

            var index = offset + found;
            var status = Rune.DecodeFromUtf8(utf8Text[index..], out var rune, out var length);
            if (status != OperationStatus.Done || rune.IsBmp)
            {
                return index;
            }

            offset = index + length;
        }

        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(
        int unicodeScalar,
        char* buffer,
        int bufferLength,
        out int numberOfCharactersWritten) =>
        Relaxed.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);
}
