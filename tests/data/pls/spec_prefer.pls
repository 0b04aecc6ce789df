<?xml version="1.0" encoding="UTF-8"?>
<!-- PLS 1.0 4.6 style: several pronunciations, prefer="true" picks one; several graphemes share one -->
<lexicon version="1.0"
      xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
      alphabet="ipa" xml:lang="en-US">
  <lexeme>
    <grapheme>tomato</grapheme>
    <phoneme>təmei̥ɾou̥</phoneme>
    <phoneme prefer="true">təˈmɑːtoʊ</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>Sepulveda</grapheme>
    <grapheme>Sepulvida</grapheme>
    <phoneme>səˈpʌlvɪdə</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>W3C</grapheme>
    <alias>World Wide Web Consortium</alias>
  </lexeme>
  <lexeme>
    <grapheme>judgment</grapheme>
    <alias>judgement</alias>
    <phoneme prefer="true">ˈdʒʌdʒmənt</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>nth</grapheme>
    <phoneme alphabet="x-sampa">EnT</phoneme>
  </lexeme>
</lexicon>
