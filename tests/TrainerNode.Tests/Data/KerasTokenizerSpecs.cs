using GridSweep.TrainerNode.Data;

namespace GridSweep.TrainerNode.Tests.Data;

public sealed class KerasTokenizerSpecs
{
    [Fact]
    public void Html_line_breaks_separate_words_and_leave_no_br_token()
    {
        Assert.Equal(["first", "line", "second", "third"], KerasTokenizer.Tokenize("first line<br />second<BR />third"));
    }

    [Fact]
    public void Every_keras_filter_character_separates_words()
    {
        var text = string.Join("", KerasTokenizer.Filters.Select((c, i) => $"w{i}{c}"));

        var words = KerasTokenizer.Tokenize(text);

        Assert.Equal(Enumerable.Range(0, KerasTokenizer.Filters.Length).Select(i => $"w{i}"), words);
    }

    [Fact]
    public void Apostrophes_stay_inside_words()
    {
        Assert.Equal(["don't", "it's", "'quoted'"], KerasTokenizer.Tokenize("Don't, it's 'quoted'."));
    }

    [Fact]
    public void Words_are_lower_cased()
    {
        Assert.Equal(["the", "movie", "was", "great"], KerasTokenizer.Tokenize("THE Movie wAs GrEaT"));
    }

    [Fact]
    public void Non_ascii_letters_are_lower_cased_and_kept_in_their_words()
    {
        // 𐐀 (U+10400) is outside the BMP: it lower-cases as a surrogate pair to 𐐨 (U+10428).
        Assert.Equal(["amélie", "été", "naïve", "𐐨x", "😀"], KerasTokenizer.Tokenize("AMÉLIE ÉTÉ Naïve 𐐀X 😀"));
    }

    [Fact]
    public void Runs_of_separators_give_no_empty_words()
    {
        Assert.Equal(["a", "b"], KerasTokenizer.Tokenize("  ...a!!!   \t\n(b)  "));
    }

    [Fact]
    public void Text_without_words_gives_none()
    {
        Assert.Empty(KerasTokenizer.Tokenize("<br /> ?! -- ... "));
    }

    [Fact]
    public void Only_the_keras_filters_separate_words_not_other_whitespace()
    {
        // Keras splits on its filters and spaces only: a carriage return or no-break space stays inside the word.
        Assert.Equal(["one\rtwo", "three\u00a0four"], KerasTokenizer.Tokenize("one\rtwo three\u00a0four"));
    }

    [Fact]
    public void An_instance_reused_for_a_shorter_text_forgets_the_longer_one()
    {
        var tokenizer = new KerasTokenizer();
        var longText = string.Join(' ', Enumerable.Repeat("longword", 2000));
        foreach (var unused in tokenizer.Words(longText))
        {
        }

        var words = new List<string>();
        foreach (var word in tokenizer.Words("short text"))
            words.Add(word.ToString());

        Assert.Equal(["short", "text"], words);
    }
}
