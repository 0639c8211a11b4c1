using Azure.Data.Tables;

namespace HumanLoop.Durable.Storage;

/// <summary>Helpers for the hub's table rows.</summary>
internal static class TableEntityExtensions
{
    /// <summary>Sets a property only when it has a value, so an absent value leaves no column on the row.</summary>
    public static void SetIfPresent<T>(this TableEntity entity, string name, T? value)
    {
        if (value is not null)
        {
            entity[name] = value;
        }
    }
}
