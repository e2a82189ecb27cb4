"""Per-language stop words: the function words a query may drop (articles, prepositions,
conjunctions, pronouns and auxiliaries that carry no topic). Written for this project, short on
purpose: only words that are frequent in every text of the language and never a topic of the
portal (no "plan", "city", "waste")."""

from __future__ import annotations

_LISTS: dict[str, str] = {
    "en": "a an and are as at be been but by for from has have in into is it its of on or "
          "our that the their this to was were will with",
    "de": "aber als am an auch auf aus bei bis das dass dem den der des die ein eine einem "
          "einen einer eines es für im in ist mit nach nicht oder sich sie sind so und vom von "
          "vor wie wir zu zum zur über",
    "nl": "aan al als bij dat de den der die dit door een en er het hij in is met naar niet "
          "of om onder ook op over te tot uit van voor was wat we wij worden wordt zijn",
    "fr": "au aux avec ce ces dans de des du elle en est et il ils la le les leur leurs mais "
          "ne nous ou par pas pour qu que qui sa se ses son sont sur un une vous à",
    "it": "a ai al alla alle come con da dai dal dalla del della delle di e gli i il in la le "
          "lo nei nel nella non o per più se sono su sul sulla tra un una è",
    "es": "a al como con de del el en entre es la las lo los más o para pero por que se sin "
          "sobre su sus un una y",
    "pt": "a ao aos as com como da das de do dos e em entre mais na nas no nos o os ou para "
          "pela pelo por que se sem sua suas seu seus um uma é",
    "ca": "a al als amb com de del dels el els en entre es i la les per que un una",
    "da": "af at de den der det du en er et for fra han har i ikke med men og om på som til "
          "var vi",
    "sv": "att av de den det du en ett för från har i inte med men och om på som till var vi "
          "är",
    "no": "av at de den der det du en er et for fra har i ikke med men og om på som til var "
          "vi",
    "fi": "ei ja jos kanssa kuin kun mutta myös ne niin on ovat se sekä tai että ole oli",
    "et": "ja ei et ka kui mis on oli ole oma see seda siis nii ning või",
    "lt": "apie be bei dar iki ir iš jau jei kad kaip kai ar su tai tik to taip už į per "
          "nuo",
    "lv": "ar bet ir ka kas kā līdz no par pie tas un uz vai arī jau",
    "pl": "a aby ale bo by być do i jak jest jego jej już lub na nie o od oraz po przez się "
          "są ta tak te to tym w we z za że",
    "cs": "a aby ale by do i jak je jako jsou k na nebo od o po pro se si ta tak to v ve z "
          "za že",
    "sk": "a aby ale by do i ako je k na alebo od o po pre sa si ta tak to v vo z za že",
    "sl": "in je da se na za v z pa ki so ali kot tudi od do po pri ter s",
    "hr": "i je da se na za u s su ili kao od do po pri te a",
    "hu": "a az és egy hogy is nem meg mint vagy van volt de csak el ez",
    "ro": "a al ale cu de din la în și pe pentru că este sau un o care mai",
    "el": "και το η ο να τα της του των σε με για από που στο στην",
    "bg": "и в на за с от по да се е са че или като до при",
    "mt": "il l u ta tal fil fl li minn għal biex ma jew din dan",
    "ga": "agus an ar ag na le is do i go",
    "eu": "eta da ez du dira bat",
}
STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) for lang, words in _LISTS.items()
}
