"""The default needs vocabulary: what every Signpost deployment starts with.

The terms are data, not a migration: ``ensure_needs_vocabulary()`` (run by
``directory.setup.ensure_directory``, so by ``setup_site``, ``load_demo`` and the tests'
``home`` fixture) adds any default term that is missing and leaves every existing term
alone, so moderators' later edits to names, synonyms, descriptions or parents survive
every deployment.

Each term has a stable slug, and a stable Open Referral UK id derived from that slug
(``uuid5(NEEDS_NAMESPACE, slug)``), so exports from any deployment agree on what a term is
and a term keeps its id when moderators rename it or change its slug.

The synonyms are the words residents and link workers actually type ("lonely", "no
friends", "can't pay my bills"); search matches them as well as the name. Terms and
synonyms follow the needs named in the service specifications in ``seeds/``.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from wagtail.models import ReferenceIndex
from wagtail.search.backends import get_search_backends

from directory.models import NeedTerm

# Never change: every seeded term's ORUK id is derived from it.
NEEDS_NAMESPACE = uuid.UUID("2760ae06-3f76-4c09-bc6d-37e485ffb828")
VOCABULARY_NAME = "Signpost needs"


@dataclass(frozen=True)
class Need:
    slug: str
    name: str
    synonyms: tuple[str, ...] = ()
    description: str = ""
    children: tuple["Need", ...] = ()

    @property
    def oruk_id(self) -> str:
        return need_oruk_id(self.slug)


def need_oruk_id(slug: str) -> str:
    """The stable ORUK id of the default term with this slug."""
    return str(uuid.uuid5(NEEDS_NAMESPACE, slug))


def _need(slug: str, name: str, synonyms: str = "", description: str = "", children=()) -> Need:
    words = tuple(word.strip() for word in synonyms.split(",") if word.strip())
    return Need(slug=slug, name=name, synonyms=words, description=description, children=tuple(children))


NEEDS: tuple[Need, ...] = (
    _need(
        "loneliness-and-isolation",
        "Loneliness and isolation",
        "lonely, isolated, isolation, social isolation, alone, on my own, no friends, nobody to talk to, "
        "no one to talk to, company, friendship, making friends, meeting people, getting out, housebound, "
        "bored, cut off",
        "Feeling alone or cut off, wanting company, or finding it hard to get out and meet people.",
        [
            _need(
                "befriending",
                "Befriending",
                "befriender, befriending service, telephone befriending, phone friend, home visits, "
                "someone to talk to, regular chat, visiting",
                "A volunteer who rings or visits regularly for a chat.",
            ),
            _need(
                "social-groups",
                "Social groups and clubs",
                "coffee morning, social club, friendship group, drop-in, cafe, community cafe, tea and chat, "
                "bingo, games, quiz, warm space, warm welcome",
                "Regular groups where people meet, chat and make friends.",
            ),
            _need(
                "mens-sheds",
                "Men's sheds",
                "men's shed, mens shed, shed, woodwork, tinkering, DIY, making and mending, men's group",
                "Community workshops where people (mostly men) make, mend and chat shoulder to shoulder.",
            ),
        ],
    ),
    _need(
        "mental-wellbeing",
        "Mental wellbeing",
        "mental health, wellbeing, anxiety, anxious, worry, worried, low mood, feeling down, sad, stress, "
        "stressed, depression, depressed, panic attacks, can't cope, not coping, nerves, emotional support, "
        "talking",
        "Feeling low, anxious or stressed, and wanting support to feel better.",
        [
            _need(
                "anxiety-and-stress",
                "Anxiety and stress",
                "anxiety, anxious, stress, stressed, worry, worrying, panic, panic attacks, nerves, overwhelmed, "
                "can't sleep, sleep problems",
                "Help to manage worry, stress and panic.",
            ),
            _need(
                "low-mood",
                "Low mood and depression",
                "low mood, depression, depressed, feeling down, sad, fed up, hopeless, no motivation",
                "Support when you have been feeling down for a while.",
            ),
            _need(
                "confidence-and-self-esteem",
                "Confidence and self-esteem",
                "confidence, self-esteem, self-confidence, assertiveness, shy, shyness, social anxiety",
                "Building confidence to try new things and meet new people.",
            ),
            _need(
                "peer-support",
                "Peer support and talking groups",
                "peer support, support group, talking group, men's mental health, share, listening, "
                "lived experience",
                "Groups where people with similar experiences talk and support each other.",
            ),
            _need(
                "mindfulness-and-relaxation",
                "Mindfulness and relaxation",
                "mindfulness, meditation, relaxation, breathing exercises, calm, headspace",
            ),
        ],
    ),
    _need(
        "physical-activity",
        "Physical activity",
        "exercise, fitness, keep fit, get fit, get moving, active, activity, sport, sports, movement, "
        "lose weight, get out more",
        "Ways to move more, at any level of fitness.",
        [
            _need(
                "walking",
                "Walking",
                "walks, walking group, health walks, walking for health, rambling, ramble, nordic walking, "
                "strolls, buggy walks",
                "Led walks at an easy pace, often with a cuppa afterwards.",
            ),
            _need(
                "dance",
                "Dance",
                "dancing, tea dance, ballroom, line dancing, zumba, sequence dancing, dance for health, "
                "seated dance",
            ),
            _need(
                "swimming",
                "Swimming",
                "swim, swimming pool, pool, aqua, aquafit, aqua aerobics, water exercise, hydrotherapy",
            ),
            _need(
                "gentle-exercise",
                "Gentle exercise",
                "chair-based exercise, chair exercise, seated exercise, gentle exercise, low impact, "
                "strength and balance, falls prevention, falls, unsteady, mobility, otago, stretching",
                "Gentle and seated exercise for people who are less mobile or building up slowly.",
            ),
            _need(
                "yoga-and-tai-chi",
                "Yoga, Pilates and tai chi",
                "yoga, chair yoga, pilates, tai chi, qigong, stretching, flexibility",
            ),
            _need(
                "cycling",
                "Cycling",
                "cycle, cycling, bike, bikes, bicycle, bike rides, led rides, learn to ride, adapted cycling",
            ),
            _need(
                "team-and-social-sport",
                "Team and social sport",
                "football, walking football, walking netball, bowls, short mat bowls, badminton, table tennis, "
                "cricket, golf, sports club",
            ),
        ],
    ),
    _need(
        "money-debt-and-benefits",
        "Money, debt and benefits",
        "money, money worries, debt, debts, in debt, bills, can't pay, cannot pay, arrears, bailiffs, "
        "benefits, universal credit, PIP, budgeting, budget, cost of living, skint, broke, loans",
        "Help with money worries, debts, bills and claiming the benefits you are entitled to.",
        [
            _need(
                "debt-advice",
                "Debt advice",
                "debt, debts, arrears, bailiffs, county court judgment, CCJ, loans, credit cards, "
                "debt relief order, DRO, bankruptcy, payday loans",
            ),
            _need(
                "benefits-advice",
                "Benefits advice",
                "benefits, benefit check, universal credit, UC, PIP, personal independence payment, ESA, "
                "attendance allowance, carer's allowance, pension credit, council tax reduction, form filling, "
                "forms, appeals, sanctions",
            ),
            _need(
                "energy-and-bills",
                "Energy and household bills",
                "energy bills, gas, electric, electricity, heating, fuel poverty, cold home, prepayment meter, "
                "water bills, warm home, energy advice",
            ),
        ],
    ),
    _need(
        "housing",
        "Housing",
        "housing, home, homeless, homelessness, eviction, evicted, rent, landlord, tenancy, council house, "
        "housing association, damp, mould, repairs, moving home, sofa surfing, rough sleeping",
        "Somewhere safe and suitable to live, and help with problems at home.",
        [
            _need(
                "homelessness",
                "Homelessness and risk of homelessness",
                "homeless, homelessness, eviction, evicted, notice to quit, section 21, sofa surfing, "
                "rough sleeping, nowhere to live",
            ),
            _need(
                "home-repairs-and-adaptations",
                "Home repairs and adaptations",
                "repairs, handyperson, handyman, adaptations, grab rails, handrails, stairlift, key safe, "
                "damp, mould, cold home, odd jobs",
            ),
        ],
    ),
    _need(
        "employment-and-skills",
        "Employment and skills",
        "job, jobs, work, employment, unemployed, out of work, job search, job club, CV, interview, "
        "back to work, careers, training, apprenticeship, work experience",
        "Finding work, getting back to work, or building the skills to do so.",
    ),
    _need(
        "carers",
        "Carers",
        "carer, carers, caring, unpaid carer, family carer, young carer, looking after someone, "
        "caring for someone, respite, carer's break, carers assessment, carer's allowance",
        "Support for people who look after a family member, partner or friend without pay.",
        [
            _need(
                "carers-support",
                "Support groups for carers",
                "carers group, carers cafe, carers support group, carers information, advice for carers",
            ),
            _need(
                "respite-and-breaks",
                "Breaks for carers",
                "respite, short break, carer's break, time off, sitting service, day care, pamper",
            ),
        ],
    ),
    _need(
        "food",
        "Food",
        "food, hungry, no food, meals, eating, food bank, foodbank, food parcel, lunch club, community meal, "
        "pantry, community fridge, cooking, healthy eating",
        "Food when money is tight, shared meals, and learning to cook.",
        [
            _need(
                "food-banks-and-pantries",
                "Food banks and pantries",
                "food bank, foodbank, food parcel, emergency food, food voucher, pantry, community pantry, "
                "community fridge, community shop, social supermarket",
            ),
            _need(
                "lunch-clubs",
                "Lunch clubs and community meals",
                "lunch club, luncheon club, community meal, dinner, hot meal, pay as you feel cafe, "
                "breakfast club, community cafe",
            ),
            _need(
                "cooking-and-healthy-eating",
                "Cooking and healthy eating",
                "cooking, cook and eat, cookery, healthy eating, nutrition, meals on a budget, batch cooking",
            ),
        ],
    ),
    _need(
        "arts-and-creativity",
        "Arts and creativity",
        "art, arts, arts on prescription, creative, creativity, craft, crafts, painting, drawing, music, "
        "singing, choir, drama, theatre, creative writing, poetry, photography, pottery",
        "Making, playing and performing, for wellbeing and for fun.",
        [
            _need(
                "music-and-singing",
                "Music and singing",
                "singing, choir, community choir, music, ukulele, guitar, drumming, singing for the brain, "
                "singing for lung health, songs",
            ),
            _need(
                "crafts",
                "Crafts",
                "craft, crafts, knitting, knit and natter, crochet, sewing, quilting, card making, textiles, "
                "woodwork",
            ),
            _need(
                "visual-arts",
                "Art and painting",
                "art, art group, painting, drawing, watercolour, pottery, ceramics, photography, "
                "arts on prescription",
            ),
            _need(
                "drama-and-writing",
                "Drama and writing",
                "drama, theatre, acting, creative writing, poetry, storytelling, reminiscence",
            ),
        ],
    ),
    _need(
        "learning",
        "Learning",
        "learning, learn, courses, classes, adult learning, adult education, college, education, "
        "qualifications, maths, reading, writing, English, ESOL, book club, library, lifelong learning",
        "Courses and groups for adults who want to learn something new.",
        [
            _need(
                "english-language",
                "English language (ESOL)",
                "ESOL, English classes, learn English, English for speakers of other languages, "
                "conversation club, language cafe, English practice",
            ),
            _need(
                "reading-and-book-groups",
                "Reading and book groups",
                "book club, book group, reading group, reading, library, shared reading, reading aloud",
            ),
            _need(
                "adult-courses",
                "Adult courses",
                "adult learning, courses, classes, maths, functional skills, qualifications, workshops",
            ),
        ],
    ),
    _need(
        "volunteering",
        "Volunteering",
        "volunteer, volunteers, volunteering, volunteer work, give something back, giving back, "
        "helping others, community action, unpaid work, befriender, charity work",
        "Giving time to help others, which often helps the volunteer too.",
    ),
    _need(
        "bereavement",
        "Bereavement",
        "bereavement, bereaved, grief, grieving, loss, lost someone, death, died, widow, widowed, widower, "
        "mourning, losing a partner, losing a child",
        "Support after someone close to you has died.",
    ),
    _need(
        "long-term-conditions",
        "Long-term conditions",
        "long-term condition, long-term illness, chronic illness, chronic condition, health condition, "
        "living with a condition, self-management, disability, self care",
        "Living well with a health condition that lasts a long time.",
        [
            _need(
                "dementia",
                "Dementia and memory",
                "dementia, memory, memory loss, memory problems, forgetful, forgetfulness, Alzheimer's, "
                "alzheimers, memory cafe, singing for the brain, cognitive stimulation",
            ),
            _need(
                "diabetes",
                "Diabetes",
                "diabetes, diabetic, type 2 diabetes, type 1 diabetes, pre-diabetes, blood sugar",
            ),
            _need(
                "breathing-and-copd",
                "Breathing and lung conditions (COPD)",
                "COPD, breathing, breathless, breathlessness, short of breath, lungs, lung condition, asthma, "
                "emphysema, bronchitis, pulmonary rehab, long covid",
            ),
            _need(
                "chronic-pain",
                "Chronic pain",
                "chronic pain, pain, persistent pain, back pain, arthritis, fibromyalgia, joint pain, "
                "pain management",
            ),
            _need(
                "heart-and-stroke",
                "Heart conditions and stroke",
                "heart, heart disease, heart failure, cardiac, cardiac rehab, stroke, stroke club, "
                "blood pressure, hypertension",
            ),
            _need(
                "cancer",
                "Cancer",
                "cancer, after cancer, living with cancer, cancer support, recovery from cancer, macmillan",
            ),
            _need(
                "sight-and-hearing-loss",
                "Sight and hearing loss",
                "sight loss, visually impaired, visual impairment, partially sighted, blind, macular, "
                "hearing loss, deaf, hard of hearing, hearing aids, tinnitus, BSL",
            ),
            _need(
                "neurological-conditions",
                "Parkinson's and neurological conditions",
                "Parkinson's, parkinsons, multiple sclerosis, MS, motor neurone disease, epilepsy, "
                "brain injury, neurological",
            ),
        ],
    ),
    _need(
        "healthy-living",
        "Healthy living",
        "healthy lifestyle, healthy living, weight, lose weight, overweight, smoking, stop smoking, quit, "
        "alcohol, drinking less, sleep, health check",
        "Changing habits: eating, weight, smoking and drinking.",
        [
            _need(
                "healthy-weight",
                "Healthy weight",
                "weight, lose weight, weight loss, overweight, obesity, slimming, weight management",
            ),
            _need(
                "stopping-smoking",
                "Stopping smoking",
                "smoking, stop smoking, quit smoking, quitting, vaping, nicotine, cigarettes",
            ),
            _need(
                "drinking-less",
                "Drinking less",
                "alcohol, drinking, drinking less, cutting down, dry january, sober",
            ),
        ],
    ),
    _need(
        "digital-skills",
        "Digital skills",
        "digital, computer, computers, internet, online, get online, email, smartphone, phone, tablet, "
        "ipad, laptop, apps, NHS app, video calls, zoom, IT help, technology, digital inclusion, scams",
        "Help to get online and use phones, tablets and computers with confidence.",
    ),
    _need(
        "gardening-and-nature",
        "Gardening and nature",
        "gardening, garden, gardens, allotment, allotments, growing, grow your own, nature, outdoors, "
        "green space, parks, conservation, wildlife, green prescribing, green gym, forest bathing",
        "Time outdoors: growing, conservation and getting close to nature.",
        [
            _need(
                "community-gardening",
                "Community gardens and allotments",
                "community garden, allotment, allotments, growing, grow your own, therapeutic gardening, "
                "horticulture, vegetables",
            ),
            _need(
                "nature-and-conservation",
                "Nature and conservation",
                "conservation, wildlife, nature walks, green gym, litter picking, tree planting, "
                "beach clean, woodland, forest bathing",
            ),
        ],
    ),
    _need(
        "parenting-and-families",
        "Parenting and families",
        "parent, parents, parenting, family, families, children, kids, baby, babies, toddler, new parent, "
        "new mum, new dad, mum, dad, grandparent, stay and play, family support",
        "Support for parents, carers of children and the whole family.",
        [
            _need(
                "new-parents",
                "New parents",
                "new parent, new mum, new dad, baby, pregnancy, postnatal, perinatal, breastfeeding, "
                "baby group, bumps and babies",
            ),
            _need(
                "family-activities",
                "Family activities",
                "family, stay and play, toddler group, dads group, family fun, holiday activities",
            ),
        ],
    ),
    _need(
        "relationships-and-safety",
        "Relationships and safety",
        "domestic abuse, domestic violence, abuse, abusive relationship, controlling, coercive control, "
        "unsafe at home, relationship problems, family conflict, separation, divorce, scams, safeguarding",
        "Help when a relationship is harmful or home does not feel safe.",
    ),
    _need(
        "transport-and-getting-about",
        "Transport and getting about",
        "transport, community transport, dial-a-ride, bus pass, travel, lifts, car scheme, "
        "getting to appointments, mobility, mobility scooter, shopmobility, can't get out",
        "Getting to activities, shops and appointments.",
    ),
    _need(
        "independent-living",
        "Staying independent at home",
        "independence, independent living, staying at home, home help, shopping help, aids, equipment, "
        "falls, pendant alarm, lifeline, care at home, older people, ageing well",
        "Practical help to stay safe, well and independent at home.",
    ),
    _need(
        "new-to-the-area",
        "New to the area, refugees and asylum seekers",
        "refugee, refugees, asylum, asylum seeker, migrant, new arrival, new to the area, new to the UK, "
        "immigration, resettlement, interpreter, language support, welcome",
        "Settling in, finding your way around and meeting people when you are new.",
    ),
    _need(
        "identity-and-community",
        "Culture, faith and identity",
        "faith, church, mosque, gurdwara, temple, spiritual, culture, cultural, community group, "
        "LGBTQ+, LGBT, gay, lesbian, trans, women's group, men's group, heritage, black and minority ethnic",
        "Groups for people who share a faith, a culture or an identity.",
    ),
)


def iter_needs(needs: tuple[Need, ...] = NEEDS, parent: Need | None = None) -> Iterator[tuple[Need, Need | None]]:
    """Every default term with its parent, each level before the next."""
    for need in needs:
        yield need, parent
    for need in needs:
        yield from iter_needs(need.children, need)


def default_need_slugs() -> list[str]:
    return [need.slug for need, _ in iter_needs()]


@transaction.atomic
def ensure_needs_vocabulary() -> dict:
    """Add every default need that is missing; return the default terms (``NeedTerm``) by default slug.

    A default term is present when a term has its ORUK id (so moderators may rename it or
    change its slug) or its slug. Present terms are never changed. A new child of a present
    parent goes under that parent, wherever moderators have since moved it.

    A default term that moderators delete comes back at the next deployment: telling "deleted
    on purpose" from "new in this release" needs a record of retired terms, which the model
    does not have yet. Until then, rename or re-parent a term rather than delete it.
    """
    pairs = list(iter_needs())
    existing = list(
        NeedTerm.objects.filter(
            Q(oruk_id__in=[need.oruk_id for need, _ in pairs]) | Q(slug__in=[need.slug for need, _ in pairs])
        )
    )
    by_oruk_id = {term.oruk_id: term for term in existing}
    by_slug = {term.slug: term for term in existing}

    terms: dict[str, NeedTerm] = {}
    created: list[NeedTerm] = []
    # One INSERT per level, parents first so children can point at them. This runs in every
    # test that builds the site, where saving terms one by one (each re-indexed for search
    # and references straight away) cost ten times as much.
    for depth_pairs in _by_depth(pairs):
        batch = []
        for need, parent in depth_pairs:
            term = by_oruk_id.get(need.oruk_id) or by_slug.get(need.slug)
            if term is None:
                term = NeedTerm(
                    oruk_id=need.oruk_id,
                    slug=need.slug,
                    name=need.name,
                    parent=terms[parent.slug] if parent else None,
                    description=need.description,
                    synonyms=", ".join(need.synonyms),
                    vocabulary=VOCABULARY_NAME,
                )
                batch.append(term)
            terms[need.slug] = term
        created += NeedTerm.objects.bulk_create(batch)
    if created:
        _index_created_terms(created)
    return terms


def _by_depth(pairs: list[tuple[Need, Need | None]]) -> list[list[tuple[Need, Need | None]]]:
    depth: dict[str, int] = {}
    levels: list[list[tuple[Need, Need | None]]] = []
    for need, parent in pairs:
        depth[need.slug] = depth[parent.slug] + 1 if parent else 0
        while len(levels) <= depth[need.slug]:
            levels.append([])
        levels[depth[need.slug]].append((need, parent))
    return levels


def _index_created_terms(terms: list) -> None:
    """Do for bulk-created terms what ``post_save`` would have done: search and reference indexes.

    Listeners of ``post_save`` on ``NeedTerm`` do not run for these terms; anything else that
    indexes terms must be told here.
    """
    for backend in get_search_backends(with_auto_update=True):
        backend.add_bulk(type(terms[0]), terms)
    for term in terms:
        ReferenceIndex.create_or_update_for_object(term)
