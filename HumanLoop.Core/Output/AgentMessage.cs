using System.Text;

namespace HumanLoop.Output;

/// <summary>A message a node streams: pieces as they come, then the whole text once it is complete.</summary>
public sealed class AgentMessage
{
    private readonly AgentOutput _output;
    private readonly StringBuilder _text = new();
    private bool _completed;

    internal AgentMessage(AgentOutput output, string id)
    {
        _output = output;
        Id = id;
    }

    /// <summary>The message's id, unique within the run.</summary>
    public string Id { get; }

    /// <summary>The text so far.</summary>
    public string Text => _text.ToString();

    /// <summary>Appends a piece (a token or a few). Empty pieces are skipped.</summary>
    /// <param name="chunk">The piece.</param>
    /// <param name="cancellationToken">Stops waiting for the sink.</param>
    /// <exception cref="InvalidOperationException">The message is complete.</exception>
    public ValueTask AppendAsync(string chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (_completed)
        {
            throw new InvalidOperationException($"Message '{Id}' is complete; begin another one.");
        }

        if (chunk.Length == 0)
        {
            return ValueTask.CompletedTask;
        }

        _text.Append(chunk);
        return _output.WriteAsync(AgentOutputKind.Chunk, Id, chunk, cancellationToken);
    }

    /// <summary>Ends the message: its whole text is said as one <see cref="AgentOutputKind.Message"/>. Completing twice does nothing.</summary>
    /// <param name="cancellationToken">Stops waiting for the sink.</param>
    /// <returns>The whole text.</returns>
    public async ValueTask<string> CompleteAsync(CancellationToken cancellationToken = default)
    {
        var text = Text;
        if (!_completed)
        {
            _completed = true;
            await _output.WriteAsync(AgentOutputKind.Message, Id, text, cancellationToken).ConfigureAwait(false);
        }

        return text;
    }
}
