using GridSweep.Messages.Protocol;

namespace GridSweep.Messages.Tests.Protocol;

/// <summary>The identity of a run's data: a digest stable across machines and orders, and differences people can read.</summary>
public sealed class DataIdentitySpecs
{
    private const string ArchiveSha = "2e778b945234e3e8516a1b82b783407ef163e344a4fd6246249240f0dcccc8b0";
    private const string IndexSha = "f3dd6f811f312fbc3fdecb86a58901912da26da47f47f69b802e6102a24e711e";

    private static readonly DataSource Archive = new(DataRoles.Dataset, "aclImdb_labeled.tar.gz", 28_891_880, ArchiveSha);
    private static readonly DataSource Index = new(DataRoles.WordIndex, "imdb_word_index.json", 1_464_054, IndexSha);

    private static DataIdentity Imdb(bool withIndex = true) => new(withIndex ? [Archive, Index] : [Archive]);

    [Fact]
    public void The_digest_is_sha256_of_the_sorted_role_and_hash_lines()
    {
        var identity = new DataIdentity([
            new DataSource(DataRoles.WordIndex, "w.json", 1, new string('b', 64)),
            new DataSource(DataRoles.Dataset, "d.csv", 2, new string('a', 64)),
        ]);

        // sha256("dataset aaa…a\nword_index bbb…b\n"), computed outside .NET: a change of the scheme would orphan every recorded run.
        Assert.Equal("887fa58cbdabbb11b6795867bb75d4c6b141fd8e8db75dfa6901d0c7a1ee476b", identity.Digest);
    }

    [Fact]
    public void The_digest_ignores_the_order_of_the_sources_and_the_names_and_sizes_of_the_files()
    {
        var renamed = new DataIdentity([Index with { Name = "index.json", Bytes = 1 }, Archive with { Name = "reviews.tgz" }]);

        Assert.Equal(Imdb().Digest, renamed.Digest);
        Assert.Equal(Imdb(), renamed);
        Assert.Equal(Imdb().GetHashCode(), renamed.GetHashCode());
    }

    [Fact]
    public void The_digest_changes_with_a_hash_or_a_role()
    {
        var edited = new DataIdentity([Archive with { Sha256 = ArchiveSha[..^1] + "1" }, Index]);
        var recast = new DataIdentity([Archive with { Role = DataRoles.Validation }, Index]);

        Assert.NotEqual(Imdb().Digest, edited.Digest);
        Assert.NotEqual(Imdb().Digest, recast.Digest);
        Assert.NotEqual(Imdb().Digest, Imdb(withIndex: false).Digest);
        Assert.NotEqual(Imdb(), Imdb(withIndex: false));
    }

    [Fact]
    public void Describe_gives_one_short_line_per_source_in_the_datasets_order()
    {
        Assert.Equal(
            "dataset aclImdb_labeled.tar.gz 28.9 MB sha256 2e778b94…\nword_index imdb_word_index.json 1.5 MB sha256 f3dd6f81…",
            Imdb().Describe());
    }

    [Fact]
    public void The_same_data_has_no_differences()
    {
        Assert.Empty(Imdb().DifferencesFrom(Imdb()));
        Assert.Empty(Imdb().DifferencesFrom(new DataIdentity([Index, Archive with { Name = "elsewhere.tar.gz" }])));
    }

    [Fact]
    public void A_word_index_only_the_record_has_is_named_with_both_sides()
    {
        var differences = Imdb(withIndex: false).DifferencesFrom(Imdb());

        Assert.Equal(["word_index: none here, imdb_word_index.json (1.5 MB, sha256 f3dd6f81…) recorded"], differences);
    }

    [Fact]
    public void A_word_index_only_this_run_has_is_named_with_both_sides()
    {
        var differences = Imdb().DifferencesFrom(Imdb(withIndex: false));

        Assert.Equal(["word_index: imdb_word_index.json (1.5 MB, sha256 f3dd6f81…) here, none recorded"], differences);
    }

    [Fact]
    public void A_changed_file_shows_both_hashes_and_its_name_once_when_the_name_is_the_same()
    {
        var recorded = new DataIdentity([Archive with { Sha256 = "bbbbbbbb" + ArchiveSha[8..] }, Index]);

        var differences = Imdb().DifferencesFrom(recorded);

        Assert.Equal(["dataset: aclImdb_labeled.tar.gz sha256 2e778b94… here, sha256 bbbbbbbb… recorded"], differences);
    }

    [Fact]
    public void A_changed_file_under_another_name_and_size_shows_both()
    {
        var here = new DataIdentity([new DataSource(DataRoles.Dataset, "boston_edited.csv", 51_000, new string('c', 64))]);
        var recorded = new DataIdentity([new DataSource(DataRoles.Dataset, "boston_housing.csv", 51_219, new string('d', 64))]);

        Assert.Equal(["dataset: boston_edited.csv 51 kB sha256 cccccccc… here, boston_housing.csv 51.2 kB sha256 dddddddd… recorded"],
            here.DifferencesFrom(recorded));
    }

    [Fact]
    public void Hashes_that_share_a_long_prefix_are_shown_long_enough_to_tell_apart()
    {
        var here = new DataIdentity([Archive with { Sha256 = ArchiveSha[..20] + "0" + ArchiveSha[21..] }]);
        var recorded = new DataIdentity([Archive with { Sha256 = ArchiveSha[..20] + "f" + ArchiveSha[21..] }]);

        var line = Assert.Single(here.DifferencesFrom(recorded));

        Assert.Contains($"sha256 {ArchiveSha[..20]}0… here", line);
        Assert.Contains($"sha256 {ArchiveSha[..20]}f… recorded", line);
    }

    [Fact]
    public void Every_differing_role_gets_its_own_line_this_runs_roles_first()
    {
        var here = new DataIdentity([
            new DataSource(DataRoles.Dataset, "train.csv", 10, new string('1', 64)),
            new DataSource(DataRoles.Validation, "valid.csv", 10, new string('2', 64)),
        ]);
        var recorded = new DataIdentity([new DataSource(DataRoles.Dataset, "train.csv", 10, new string('3', 64))]);

        var differences = here.DifferencesFrom(recorded);

        Assert.Equal(2, differences.Count);
        Assert.StartsWith("dataset: train.csv sha256 11111111… here, sha256 33333333… recorded", differences[0]);
        Assert.StartsWith("validation: valid.csv (10 B, sha256 22222222…) here, none recorded", differences[1]);
        Assert.Equal(["dataset: train.csv sha256 33333333… here, sha256 11111111… recorded", "validation: none here, valid.csv (10 B, sha256 22222222…) recorded"],
            recorded.DifferencesFrom(here));
    }

    [Theory]
    [InlineData("dataset", "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", "lowercase hex")]
    [InlineData("dataset", "abc", "lowercase hex")]
    [InlineData("", "2e778b945234e3e8516a1b82b783407ef163e344a4fd6246249240f0dcccc8b0", "no role")]
    public void A_source_without_a_role_or_a_sha256_is_refused(string role, string sha, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new DataIdentity([new DataSource(role, "file", 1, sha)]));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_role_named_twice_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new DataIdentity([Archive, Archive with { Name = "other.tar.gz" }]));
        Assert.Contains("'dataset' is named twice", error.Message);
    }
}
