using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Vireo.Api.Http;

/// <summary>
/// Parses a request head (RFC 9112 §3 and §5) strictly: CRLF line ends only, token methods and
/// header names, no obsolete line folding, no control bytes in values, one framing (Content-Length
/// or chunked, never both). Every refusal is an <see cref="BadHttpRequestException"/> whose message
/// says what a valid request looks like and does not echo the client's bytes.
/// </summary>
internal static class HttpHeadParser
{
    // RFC 9110 §5.6.2 tchar: the bytes a method or header name may use.
    private static readonly SearchValues<byte> s_token = SearchValues.Create(
        "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>The empty line that ends a head.</summary>
    public static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>Parses <paramref name="head"/>: the request line, the header lines and the empty
    /// line, each ending in CRLF.</summary>
    public static HttpRequestHead Parse(ReadOnlySpan<byte> head, HttpLimits limits)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 0 || !head.EndsWith(HeadEnd))
        {
            throw Bad("the request head does not end with an empty line");
        }
        if (lineEnd + 2 > limits.MaxRequestLineBytes)
        {
            throw RequestLineTooLong(limits);
        }
        if (head.Length - lineEnd - 2 > limits.MaxHeaderBytes)
        {
            throw HeadersTooLarge(limits);
        }
        (string method, string path, bool http11) = ParseRequestLine(head[..lineEnd]);

        long? contentLength = null;
        bool chunked = false, close = false, keepAlive = false, expectContinue = false, host = false;
        ReadOnlySpan<byte> rest = head[(lineEnd + 2)..];
        for (int number = 1; ; number++)
        {
            int end = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = rest[..end];
            rest = rest[(end + 2)..];
            if (line.IsEmpty)
            {
                break;
            }
            int colon = line.IndexOf((byte)':');
            // RFC 9112 §5.1: no whitespace between the name and the colon; §5.2: no obs-fold.
            if (colon <= 0 || line[..colon].ContainsAnyExcept(s_token))
            {
                throw Bad($"header line {number} is malformed; a header is Name: value");
            }
            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
            if (ContainsControl(value))
            {
                throw Bad($"header line {number} has a control character in its value");
            }
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                long length = ParseContentLength(value);
                if (contentLength is not null && contentLength != length)
                {
                    throw Bad("Content-Length is given twice with different values");
                }
                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                if (chunked || !Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    // RFC 9112 §6.1 allows 501 for a coding not understood; a 400 keeps every
                    // refusal of a client's framing a 4xx, as Kestrel's was.
                    throw Bad("the only Transfer-Encoding this server takes is chunked, once; or send Content-Length");
                }
                chunked = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                foreach (Range option in value.Split((byte)','))
                {
                    ReadOnlySpan<byte> token = value[option].Trim(" \t"u8);
                    close |= Ascii.EqualsIgnoreCase(token, "close"u8);
                    keepAlive |= Ascii.EqualsIgnoreCase(token, "keep-alive"u8);
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                if (host)
                {
                    throw Bad("Host is given twice");
                }
                host = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Expect"u8))
            {
                expectContinue = Ascii.EqualsIgnoreCase(value, "100-continue"u8);
            }
        }
        if (chunked && contentLength is not null)
        {
            // RFC 9112 §6.1: a message with both is a smuggling attempt as often as not.
            throw Bad("a request has Content-Length or Transfer-Encoding: chunked, not both");
        }
        if (chunked && !http11)
        {
            throw Bad("chunked request bodies need HTTP/1.1");
        }
        if (http11 && !host)
        {
            // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
            throw Bad("an HTTP/1.1 request needs a Host header (any value: the socket decides where it goes)");
        }
        return new HttpRequestHead
        {
            Method = method,
            Path = path,
            IsHttp11 = http11,
            ContentLength = contentLength,
            Chunked = chunked,
            // HTTP/1.0 connections are closed after one answer: keeping them needs the old
            // keep-alive dialect, which no client of this API speaks.
            KeepAlive = http11 && !close,
            ExpectContinue = expectContinue && http11,
        };
    }

    public static BadHttpRequestException RequestLineTooLong(HttpLimits limits) =>
        new(HttpStatus.UriTooLong, $"bad request: the request line is longer than {limits.MaxRequestLineBytes} bytes");

    public static BadHttpRequestException HeadersTooLarge(HttpLimits limits) =>
        new(HttpStatus.HeaderFieldsTooLarge, $"bad request: the request headers are longer than {limits.MaxHeaderBytes} bytes in all");

    private static (string Method, string Path, bool Http11) ParseRequestLine(ReadOnlySpan<byte> line)
    {
        int firstSpace = line.IndexOf((byte)' ');
        int lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1 || line[..firstSpace].ContainsAnyExcept(s_token))
        {
            throw Bad("the request line must be METHOD /path HTTP/1.1");
        }
        ReadOnlySpan<byte> target = line[(firstSpace + 1)..lastSpace];
        ReadOnlySpan<byte> version = line[(lastSpace + 1)..];
        // Visible ASCII only (RFC 3986): this also refuses a second space inside the target.
        if (target[0] != (byte)'/' || target.ContainsAnyExceptInRange((byte)0x21, (byte)0x7e))
        {
            throw Bad("the request target must be a path such as /api/v1/vm.info");
        }
        bool http11 = version.SequenceEqual("HTTP/1.1"u8);
        if (!http11 && !version.SequenceEqual("HTTP/1.0"u8))
        {
            // 505 names a version this server does not speak: only one that looks like a version
            // (RFC 9112 §2.3 HTTP/DIGIT.DIGIT, or HTTP/3 as people write it); anything else in
            // that place is a malformed request line, a 400.
            throw IsHttpVersion(version)
                ? new BadHttpRequestException(HttpStatus.VersionNotSupported, "bad request: this server speaks HTTP/1.1 (and HTTP/1.0)")
                : Bad("the request line must be METHOD /path HTTP/1.1");
        }
        int query = target.IndexOf((byte)'?');
        ReadOnlySpan<byte> path = query < 0 ? target : target[..query];
        return (Method(line[..firstSpace]), Encoding.ASCII.GetString(path), http11);
    }

    private static bool IsHttpVersion(ReadOnlySpan<byte> version) =>
        version.StartsWith("HTTP/"u8) && version.Length is > 5 and <= 10 && char.IsAsciiDigit((char)version[5])
        && !version[5..].ContainsAnyExcept("0123456789."u8);

    // The methods the API knows come back as literals; others are allocated for the 405 message.
    private static string Method(ReadOnlySpan<byte> method) =>
        method.SequenceEqual("GET"u8) ? "GET"
        : method.SequenceEqual("PUT"u8) ? "PUT"
        : Encoding.ASCII.GetString(method);

    private static long ParseContentLength(ReadOnlySpan<byte> value)
    {
        // Digits only (no sign, no list), and at most 18 of them so the number fits a long.
        if (value.IsEmpty || value.Length > 18 || value.ContainsAnyExceptInRange((byte)'0', (byte)'9')
            || !Utf8Parser.TryParse(value, out long length, out int consumed) || consumed != value.Length)
        {
            throw Bad("Content-Length must be a decimal number of bytes");
        }
        return length;
    }

    // Field values are VCHAR, SP, HTAB and obs-text (RFC 9110 §5.5); CR, LF and NUL are the
    // dangerous ones, but every other control byte is refused too.
    private static bool ContainsControl(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7f)
            {
                return true;
            }
        }
        return false;
    }

    private static BadHttpRequestException Bad(string what) => new(HttpStatus.BadRequest, $"bad request: {what}");
}
