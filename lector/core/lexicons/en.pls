<?xml version="1.0" encoding="UTF-8"?>
<!-- Shared base English lexicon (Lector). IPA as espeak-ng (en-us) writes it;
     aliases expand abbreviations before G2P. A project's lexicon.pls/lexicon.tsv overrides it. -->
<lexicon version="1.0"
         xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
         alphabet="ipa" xml:lang="en-US">
  <!-- names and words espeak gets wrong or audiobooks need -->
  <lexeme><grapheme>Lector</grapheme><phoneme>lˈɛktɔːɹ</phoneme></lexeme>
  <lexeme><grapheme>Nguyen</grapheme><phoneme>wˈɪn</phoneme></lexeme>
  <lexeme><grapheme>Xi</grapheme><phoneme>ʃˈiː</phoneme></lexeme>
  <lexeme><grapheme>Beijing</grapheme><phoneme>bˌeɪdʒˈɪŋ</phoneme></lexeme>
  <lexeme><grapheme>Qing</grapheme><phoneme>tʃˈɪŋ</phoneme></lexeme>
  <lexeme><grapheme>Zhou</grapheme><phoneme>dʒˈoʊ</phoneme></lexeme>
  <lexeme><grapheme>Hermione</grapheme><phoneme>hɚmˈaɪəni</phoneme></lexeme>
  <lexeme><grapheme>Siobhan</grapheme><phoneme>ʃɪvˈɔːn</phoneme></lexeme>
  <lexeme><grapheme>Niamh</grapheme><phoneme>nˈiːv</phoneme></lexeme>
  <lexeme><grapheme>Saoirse</grapheme><phoneme>sˈɜːɹʃə</phoneme></lexeme>
  <lexeme><grapheme>Joaquin</grapheme><phoneme>wɑːkˈiːn</phoneme></lexeme>
  <lexeme><grapheme>Goethe</grapheme><phoneme>ɡˈɜːɾə</phoneme></lexeme>
  <lexeme><grapheme>Nietzsche</grapheme><phoneme>nˈiːtʃə</phoneme></lexeme>
  <lexeme><grapheme>Dostoevsky</grapheme><phoneme>dˌɑːstəjˈɛfski</phoneme></lexeme>
  <lexeme><grapheme>Tolkien</grapheme><phoneme>tˈoʊlkiːn</phoneme></lexeme>
  <lexeme><grapheme>epitome</grapheme><phoneme>ɪpˈɪɾəmi</phoneme></lexeme>
  <lexeme><grapheme>hyperbole</grapheme><phoneme>haɪpˈɜːbəli</phoneme></lexeme>
  <lexeme><grapheme>quinoa</grapheme><phoneme>kˈiːnwɑː</phoneme></lexeme>
  <lexeme><grapheme>segue</grapheme><phoneme>sˈɛɡweɪ</phoneme></lexeme>
  <lexeme><grapheme>colonel</grapheme><phoneme>kˈɜːnəl</phoneme></lexeme>
  <lexeme><grapheme>audiobook</grapheme><phoneme>ˈɔːdioʊbˌʊk</phoneme></lexeme>
  <lexeme><grapheme>GIF</grapheme><phoneme>ɡˈɪf</phoneme></lexeme>
  <lexeme><grapheme>SQL</grapheme><phoneme>ˈɛskjuːˈɛl</phoneme></lexeme>
  <!-- eye dialect: "s’I" is "says I" (Huckleberry Finn) -->
  <lexeme><grapheme>s’I</grapheme><grapheme>s'I</grapheme><phoneme>sɛz aɪ</phoneme></lexeme>
  <lexeme><grapheme>GUI</grapheme><phoneme>ɡˈuːi</phoneme></lexeme>
  <lexeme><grapheme>NASA</grapheme><phoneme>nˈæsə</phoneme></lexeme>
  <lexeme><grapheme>PhD</grapheme><phoneme>pˌiːˌeɪtʃdˈiː</phoneme></lexeme>
  <!-- abbreviations read out in full -->
  <lexeme><grapheme>e.g.</grapheme><alias>for example</alias></lexeme>
  <lexeme><grapheme>i.e.</grapheme><alias>that is</alias></lexeme>
  <lexeme><grapheme>etc.</grapheme><alias>et cetera</alias></lexeme>
  <lexeme><grapheme>vs.</grapheme><alias>versus</alias></lexeme>
  <lexeme><grapheme>approx.</grapheme><alias>approximately</alias></lexeme>
  <lexeme><grapheme>Dr.</grapheme><alias>Doctor</alias></lexeme>
  <lexeme><grapheme>Mr.</grapheme><alias>Mister</alias></lexeme>
  <lexeme><grapheme>Mrs.</grapheme><alias>Missus</alias></lexeme>
  <lexeme><grapheme>Prof.</grapheme><alias>Professor</alias></lexeme>
  <lexeme><grapheme>St.</grapheme><alias>Saint</alias></lexeme>
  <lexeme><grapheme>Jr.</grapheme><alias>Junior</alias></lexeme>
  <lexeme><grapheme>a.m.</grapheme><alias>A M</alias></lexeme>
  <lexeme><grapheme>p.m.</grapheme><alias>P M</alias></lexeme>
  <lexeme><grapheme>ASAP</grapheme><alias>as soon as possible</alias></lexeme>
  <lexeme><grapheme>FAQ</grapheme><alias>F A Q</alias></lexeme>
  <lexeme><grapheme>TTS</grapheme><alias>T T S</alias></lexeme>
</lexicon>
