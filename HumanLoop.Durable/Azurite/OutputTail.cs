namespace HumanLoop.Durable.Azurite;

/// <summary>Keeps the last lines a child process wrote, for error messages. Thread-safe.</summary>
internal sealed class OutputTail(int capacity = 200)
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _lock = new();

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            if (_lines.Count == capacity)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
        }
    }

    /// <summary>The last non-empty line, as ": line", or empty when there is none yet.</summary>
    public string LastLine
    {
        get
        {
            lock (_lock)
            {
                var last = _lines.LastOrDefault(l => !string.IsNullOrWhiteSpace(l));
                return last is null ? string.Empty : ": " + last.Trim();
            }
        }
    }

    public bool Contains(string text)
    {
        lock (_lock)
        {
            return _lines.Any(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return string.Join(Environment.NewLine, _lines);
        }
    }
}
