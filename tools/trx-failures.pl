#!/usr/bin/perl
# Prints each failed test of the given TRX files: "failed: NAME", then up to 12 lines of its
# error message and up to 4 stack frames from the test projects (tests/...:line N), indented.
# Used at the end of tools/test.sh so the tail of a CI log names the assertion that failed.
use strict;
use warnings;

sub unxml {
    my ($s) = @_;
    $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&quot;/"/g; $s =~ s/&apos;/'/g;
    $s =~ s/&#xD;//g; $s =~ s/&#xA;/\n/g; $s =~ s/&amp;/&/g;
    return $s;
}

for my $file (@ARGV) {
    open(my $fh, '<', $file) or next;
    local $/;
    my $xml = <$fh>;
    close($fh);
    # A result without output is one self-closing element.
    while ($xml =~ /<UnitTestResult\b([^>]*?)(?:\/>|>(.*?)<\/UnitTestResult>)/gs) {
        my ($attrs, $body) = ($1, $2 // '');
        next unless $attrs =~ /outcome="Failed"/;
        my ($name) = $attrs =~ /testName="([^"]*)"/;
        print "failed: ", unxml($name // '?'), "\n";
        if ($body =~ /<ErrorInfo>\s*<Message>(.*?)<\/Message>/s) {
            my @lines = grep { /\S/ } split /\n/, unxml($1);
            my $more = @lines > 12 ? @lines - 12 : 0;
            print "    $_\n" for @lines[0 .. ($more ? 11 : $#lines)];
            print "    ... ($more more lines)\n" if $more;
        }
        if ($body =~ /<StackTrace>(.*?)<\/StackTrace>/s) {
            my @frames = grep { m{/tests/[^:]*:line \d+} } split /\n/, unxml($1);
            for my $f (@frames[0 .. ($#frames < 3 ? $#frames : 3)]) {
                $f =~ s/^\s+//;
                print "    $f\n";
            }
        }
    }
}
