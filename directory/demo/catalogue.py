"""What the demo directory is made of: kinds of activity, kinds of organisation, and which run where.

Everything here is plain data. ``directory.demo.plan`` turns it, with a seeded random
generator, into a concrete directory; nothing here touches the database.

Names are generic ("{place} Carers' Centre") on purpose: they read like real local groups
without being any particular one. Contact details use reserved domains (``.example``) and
Ofcom's drama telephone ranges, so no demo listing can reach a real person.
"""

from dataclasses import dataclass
from decimal import Decimal

from directory.choices import Frequency, HowToJoin

WEEKDAYS = (0, 1, 2, 3, 4)
ANY_DAY = (0, 1, 2, 3, 4, 5)

# Start and end times ("HH:MM") by part of the day.
SLOTS = {
    "morning": (("09:30", "11:00"), ("10:00", "11:30"), ("10:00", "12:00"), ("10:30", "12:00")),
    "lunch": (("11:30", "13:30"), ("12:00", "14:00"), ("12:00", "13:30")),
    "afternoon": (("13:30", "15:00"), ("14:00", "15:30"), ("13:00", "15:00"), ("14:00", "16:00")),
    "evening": (("18:00", "19:30"), ("18:30", "20:00"), ("19:00", "21:00")),
    "office": (("09:00", "17:00"), ("09:30", "16:30"), ("10:00", "16:00")),
}


@dataclass(frozen=True)
class Cost:
    amount: Decimal | None = None  # None: free
    description: str = ""
    concessions: str = ""


FREE = Cost()
FREE_DONATIONS = Cost(description="", concessions="Donations welcome but never expected")


def pay(amount: str, description: str, concessions: str = "") -> Cost:
    return Cost(Decimal(amount), description, concessions)


@dataclass(frozen=True)
class Kind:
    """A kind of activity, with everything about it that varies only a little from place to place."""

    key: str
    title: str  # may use {nb} (neighbourhood), {patch}, {place} (the organisation's place), {green}
    summary: str
    description: tuple[str, ...]
    needs: tuple[str, ...]
    # Venue types it prefers (see VENUE_TYPES; "premises" is the organisation's own building).
    # Empty for in-person activities whose venue is given only on booking.
    venues: tuple[str, ...] = ("community_centre",)
    frequencies: tuple[str, ...] = (Frequency.WEEKLY,)
    slots: tuple[str, ...] = ("morning",)
    days: tuple[int, ...] = WEEKDAYS
    costs: tuple[Cost, ...] = (FREE,)
    how_to_join: tuple[str, ...] = (HowToJoin.DROP_IN,)
    # in_person; online; phone; hybrid (in person and online); hybrid_phone (in person and by phone)
    delivery: str = "in_person"
    capacity: tuple[int, int] | None = (10, 25)
    min_age: int | None = 18
    max_age: int | None = None
    carers_welcome: bool = False
    conditions: str = ""
    eligibility: str = ""
    languages: tuple[str, ...] = ("English",)
    course_weeks: int | None = None
    sessions: int = 1  # sessions a week (or per cycle)
    repeat: bool = False  # run in each of the organisation's neighbourhoods


def _kind(key, title, summary, description, needs, **options) -> Kind:
    return Kind(key=key, title=title, summary=summary, description=tuple(description), needs=tuple(needs), **options)


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in [
        # Loneliness, social groups ---------------------------------------------------------
        _kind(
            "coffee_morning",
            "{nb} Coffee Morning",
            "A relaxed weekly coffee morning: a cuppa, cake and a chat with friendly local people.",
            [
                "Pop in for tea, coffee and homemade cake. There is no need to book and no need to stay "
                "long: some people come for half an hour, others stay all morning.",
                "Our volunteers look out for new faces and will introduce you to others. There are "
                "newspapers, board games and a book swap table if you would rather ease in gently.",
            ],
            ["social-groups", "loneliness-and-isolation"],
            venues=("community_centre", "church", "library"),
            costs=(FREE_DONATIONS, pay("1.50", "for a drink and cake")),
            capacity=(20, 40),
            carers_welcome=True,
            repeat=True,
        ),
        _kind(
            "lunch_club",
            "{nb} Lunch Club",
            "A hot two-course lunch and good company, cooked fresh by volunteers.",
            [
                "We serve a hot main course and a pudding, with tea or coffee, around one big table. "
                "Vegetarian and soft-food options are always available; tell us about any other diet.",
                "Many members come on their own and have made firm friends here. After lunch there is "
                "often a quiz, bingo or a visiting speaker.",
                "We can help arrange community transport if getting here is difficult.",
            ],
            ["lunch-clubs", "loneliness-and-isolation", "food"],
            venues=("community_centre", "church"),
            slots=("lunch",),
            costs=(
                pay("5.00", "for two courses and a drink"),
                pay("4.50", "per meal"),
                pay("6.00", "per meal, including transport"),
            ),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(20, 35),
            min_age=55,
            carers_welcome=True,
            eligibility="Mainly for people over 55 and people who live alone.",
            repeat=True,
        ),
        _kind(
            "tea_dance",
            "{nb} Tea Dance",
            "Ballroom and sequence dancing to live and recorded music, with tea and cake in the interval.",
            [
                "Dance as much or as little as you like. Partners are not needed: our volunteer hosts "
                "dance with anyone who would like to, and there are plenty of seats for those who "
                "prefer to listen and watch.",
                "Seated dances are included in every session.",
            ],
            ["dance", "loneliness-and-isolation", "physical-activity"],
            venues=("community_centre", "church"),
            frequencies=(Frequency.MONTHLY, Frequency.FORTNIGHTLY),
            slots=("afternoon",),
            costs=(pay("3.00", "including tea and cake"), pay("4.00", "including tea and cake")),
            capacity=(30, 60),
            min_age=None,
            carers_welcome=True,
        ),
        _kind(
            "knit_and_natter",
            "{nb} Knit and Natter",
            "Bring your knitting, crochet or sewing (or learn from us) and have a natter.",
            [
                "All levels are welcome, from complete beginners to experts. We have spare needles, "
                "hooks and donated wool to get you started.",
                "Some of what we make goes to the local hospital's baby unit and to homeless charities.",
            ],
            ["crafts", "social-groups", "loneliness-and-isolation"],
            venues=("library", "community_centre", "cafe"),
            slots=("afternoon", "morning"),
            costs=(FREE, pay("1.00", "per session, including tea")),
            capacity=(8, 16),
        ),
        _kind(
            "warm_space",
            "{nb} Warm Welcome",
            "A warm, friendly place to spend the day, with free hot drinks, soup and Wi-Fi.",
            [
                "Come in from the cold, charge your phone, read the papers or join in with a game. "
                "Free hot drinks all day and soup at lunchtime.",
                "Our volunteers can point you to help with energy bills and money worries if you would "
                "like it, and there is no pressure if you would rather just sit and be warm.",
            ],
            ["social-groups", "energy-and-bills", "loneliness-and-isolation"],
            venues=("church", "community_centre", "library"),
            slots=("office",),
            costs=(FREE,),
            capacity=(20, 40),
            min_age=None,
            carers_welcome=True,
        ),
        _kind(
            "telephone_befriending",
            "Telephone Befriending",
            "A weekly friendly phone call from the same trained volunteer, at a time that suits you.",
            [
                "We match you with a volunteer who shares some of your interests. They ring once a week "
                "for a chat, usually for 20 to 40 minutes.",
                "All our volunteers are DBS checked and trained. Many friendships last for years.",
            ],
            ["befriending", "loneliness-and-isolation"],
            delivery="phone",
            frequencies=(),
            how_to_join=(HowToJoin.SELF_REFERRAL, HowToJoin.REFERRAL_ONLY),
            capacity=None,
            eligibility="For adults who live alone or rarely get out.",
        ),
        _kind(
            "home_befriending",
            "Home Visiting Befriending",
            "A volunteer visits you at home for an hour a week for a chat, a game or a short walk.",
            [
                "After a first visit from our coordinator, we introduce you to a volunteer who lives "
                "nearby. Together you decide what to do: many people enjoy a walk, a trip to a café or "
                "simply a cup of tea and a chat.",
            ],
            ["befriending", "loneliness-and-isolation", "independent-living"],
            delivery="phone",
            frequencies=(),
            how_to_join=(HowToJoin.REFERRAL_ONLY, HowToJoin.SELF_REFERRAL),
            capacity=None,
            min_age=60,
            eligibility="For people over 60 who are housebound or find it hard to get out.",
        ),
        _kind(
            "mens_shed",
            "{place} Men's Shed",
            "A community workshop where people make, mend and chat, shoulder to shoulder.",
            [
                "Members work on their own projects, make bird boxes and benches for local schools, "
                "and repair things for the community. There are woodwork and metalwork tools and "
                "plenty of people happy to show you how to use them.",
                "Most members are men, many retired, but anyone over 18 is welcome. Come for the "
                "tools or just for the tea and banter.",
            ],
            ["mens-sheds", "loneliness-and-isolation", "mental-wellbeing"],
            venues=("premises", "community_centre"),
            costs=(pay("2.00", "per session"), pay("15.00", "a year membership, then free")),
            capacity=(10, 18),
            sessions=2,
        ),
        _kind(
            "young_adults_social",
            "Young Adults' Social Club",
            "A relaxed evening social for 18 to 25 year olds: games, food and new friends.",
            [
                "Games, cooking, music and trips out, planned by the members. A youth worker is always "
                "there and happy to talk about anything on your mind.",
            ],
            ["social-groups", "loneliness-and-isolation", "confidence-and-self-esteem"],
            venues=("community_centre", "hub"),
            slots=("evening",),
            capacity=(10, 20),
            max_age=25,
        ),
        _kind(
            "lgbt_social",
            "LGBTQ+ Social Group",
            "A friendly monthly meet-up for lesbian, gay, bisexual, trans and queer people and friends.",
            [
                "We meet for a drink and a chat, with occasional walks, film nights and meals out. "
                "New members often say they wish they had come sooner.",
                "You do not have to be out to come along, and we will never share that you attended.",
            ],
            ["identity-and-community", "loneliness-and-isolation"],
            venues=("cafe", "community_centre"),
            frequencies=(Frequency.MONTHLY,),
            slots=("evening", "afternoon"),
            capacity=(15, 30),
        ),
        _kind(
            "lgbt_over_50s",
            "LGBTQ+ Over 50s Lunch",
            "A monthly lunch for LGBTQ+ people over 50.",
            ["A sociable lunch in a welcoming café, with a different guest or outing each season."],
            ["identity-and-community", "loneliness-and-isolation", "lunch-clubs"],
            venues=("cafe",),
            frequencies=(Frequency.MONTHLY,),
            slots=("lunch",),
            costs=(pay("8.00", "for lunch"),),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(12, 20),
            min_age=50,
        ),
        _kind(
            "elders_lunch",
            "{place} Elders' Lunch and Health Club",
            "A weekly lunch, gentle exercise and health talks for older people, in English, Urdu and Punjabi.",
            [
                "The day starts with chair-based exercise, followed by a hot halal lunch and a talk on "
                "keeping well, from pharmacists, nurses and benefits advisers.",
                "Staff and volunteers speak English, Urdu and Punjabi.",
            ],
            ["lunch-clubs", "identity-and-community", "gentle-exercise", "loneliness-and-isolation"],
            venues=("premises", "community_centre"),
            slots=("lunch",),
            costs=(pay("3.00", "including lunch"),),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(25, 40),
            min_age=55,
            carers_welcome=True,
            languages=("English, Urdu, Punjabi",),
        ),
        _kind(
            "caribbean_elders",
            "{place} Caribbean Elders' Day Centre",
            "A day centre for older people of African-Caribbean heritage: dominoes, lunch and company.",
            [
                "Traditional Caribbean lunch, dominoes, music, health checks and trips out. Members "
                "help shape the programme.",
            ],
            ["identity-and-community", "lunch-clubs", "loneliness-and-isolation"],
            venues=("premises", "community_centre"),
            slots=("office",),
            sessions=2,
            costs=(pay("4.00", "including lunch"),),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(25, 40),
            min_age=60,
            carers_welcome=True,
        ),
        # Mental wellbeing -----------------------------------------------------------------
        _kind(
            "wellbeing_cafe",
            "{nb} Wellbeing Café",
            "A drop-in for anyone finding life hard: a cuppa, a listening ear and practical ideas.",
            [
                "Trained volunteers, some with their own lived experience of mental ill health, are on "
                "hand to listen. You can talk about what is on your mind, or just sit with a drink.",
                "There are leaflets and someone who can help you find other support, from counselling "
                "to debt advice.",
            ],
            ["peer-support", "mental-wellbeing", "loneliness-and-isolation"],
            venues=("cafe", "community_centre", "hub"),
            frequencies=(Frequency.WEEKLY, Frequency.FORTNIGHTLY),
            slots=("afternoon", "evening"),
            capacity=(10, 20),
            repeat=True,
        ),
        _kind(
            "managing_anxiety",
            "Managing Anxiety: Six-Week Course",
            "A friendly six-week course on understanding anxiety and practical ways to manage it.",
            [
                "Each week covers one topic: what anxiety does to the body, breathing and grounding, "
                "worry time, facing fears in small steps, sleep, and keeping well.",
                "Groups are small and you do not have to share anything you do not want to. You can "
                "join in person or online.",
            ],
            ["anxiety-and-stress", "mental-wellbeing"],
            venues=("hub", "library", "community_centre"),
            slots=("morning", "afternoon", "evening"),
            how_to_join=(HowToJoin.SELF_REFERRAL, HowToJoin.REFERRAL_ONLY),
            delivery="hybrid",
            capacity=(8, 12),
            course_weeks=6,
        ),
        _kind(
            "confidence_course",
            "Confidence and Wellbeing Course",
            "An eight-week course to build confidence, self-esteem and a plan for what comes next.",
            [
                "Gentle, practical sessions on recognising your strengths, setting small goals, "
                "assertiveness and looking after your wellbeing. Tea and biscuits provided.",
                "Many people go on to volunteering, learning or work after the course.",
            ],
            ["confidence-and-self-esteem", "mental-wellbeing", "adult-courses"],
            venues=("library", "community_centre", "hub"),
            slots=("morning", "afternoon"),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(8, 14),
            course_weeks=8,
        ),
        _kind(
            "mindfulness",
            "Mindfulness for Beginners",
            "Learn simple mindfulness and relaxation exercises to calm a busy mind.",
            [
                "A qualified teacher guides short practices you can use anywhere: breathing, body scans "
                "and mindful walking. No experience needed; you can sit on a chair throughout.",
            ],
            ["mindfulness-and-relaxation", "anxiety-and-stress"],
            venues=("library", "hub", "church"),
            slots=("evening", "morning"),
            costs=(FREE, pay("3.00", "per session", "Free if you receive benefits")),
            delivery="online",
            capacity=(10, 20),
        ),
        _kind(
            "mens_talking_group",
            "Men's Talking Group",
            "A peer support group where men can talk openly about how they are feeling.",
            [
                "It's okay to talk. Every week, men sit down together for a brew and talk about what "
                "is going on in their lives. No judgement, no advice unless you ask for it.",
                "You do not need to book or to speak. Just turn up.",
            ],
            ["peer-support", "mental-wellbeing", "low-mood"],
            venues=("community_centre", "hub", "cafe"),
            days=(0,),
            slots=("evening",),
            capacity=(10, 30),
        ),
        _kind(
            "womens_circle",
            "Women's Wellbeing Circle",
            "A weekly women-only group to relax, share and learn something new together.",
            [
                "Each week mixes a chat over tea with an activity chosen by the group: crafts, gentle "
                "exercise, cooking, or a visit from a health worker.",
                "A crèche is available; please tell us in advance.",
            ],
            ["mental-wellbeing", "identity-and-community", "loneliness-and-isolation"],
            venues=("premises", "community_centre"),
            slots=("morning",),
            capacity=(10, 20),
            eligibility="Women only.",
            languages=("English, Urdu, Punjabi", "English, Arabic", "English, Polish", "English"),
        ),
        _kind(
            "hearing_voices",
            "Low Mood Peer Support Group",
            "A fortnightly group for people living with depression or low mood, run by peers.",
            [
                "A safe, confidential space to share what helps and what does not. Facilitated by "
                "volunteers with lived experience of depression.",
            ],
            ["low-mood", "peer-support"],
            venues=("hub", "community_centre"),
            frequencies=(Frequency.FORTNIGHTLY,),
            slots=("evening", "afternoon"),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(6, 12),
        ),
        # Physical activity ----------------------------------------------------------------
        _kind(
            "walking_for_health",
            "{nb} Walking for Health",
            "A free, friendly led walk of about an hour at an easy pace, with a cuppa afterwards.",
            [
                "Walks are led by trained volunteer walk leaders and go at the pace of the slowest "
                "walker. Routes are mostly flat, on paths, and around {green}.",
                "Wear comfortable shoes and bring a drink. Most walkers go for a cup of tea together "
                "afterwards, which is often the best bit.",
            ],
            ["walking", "physical-activity", "loneliness-and-isolation"],
            venues=("green",),
            days=ANY_DAY,
            slots=("morning",),
            capacity=(15, 30),
            carers_welcome=True,
            repeat=True,
        ),
        _kind(
            "chair_exercise",
            "Seated Exercise at {nb}",
            "A gentle, chair-based exercise class to music, for strength, balance and fun.",
            [
                "Our instructor leads a 45-minute class you can do entirely from a chair, or standing "
                "behind it if you prefer. Exercises build strength and balance, which helps prevent falls.",
                "Ideal if you have arthritis, are recovering from illness or have not exercised for a while.",
            ],
            ["gentle-exercise", "physical-activity", "long-term-conditions"],
            venues=("community_centre", "church", "hub"),
            costs=(pay("2.50", "per class"), pay("3.00", "per class", "First class free"), FREE),
            capacity=(12, 20),
            min_age=50,
            conditions="arthritis, COPD, recovering from illness",
            repeat=True,
        ),
        _kind(
            "strength_and_balance",
            "Strength and Balance: 12-Week Falls Prevention Programme",
            "A 12-week exercise programme for people who have fallen or are worried about falling.",
            [
                "Led by a qualified postural stability instructor. Exercises get a little harder each "
                "week, and you get a simple programme to do at home.",
                "A short assessment happens before you start.",
            ],
            ["gentle-exercise", "independent-living", "physical-activity"],
            venues=("leisure_centre", "community_centre", "hub"),
            how_to_join=(HowToJoin.REFERRAL_ONLY,),
            capacity=(8, 12),
            min_age=60,
            conditions="falls, poor balance, osteoporosis",
            course_weeks=12,
        ),
        _kind(
            "walking_football",
            "{place} Walking Football",
            "Football at walking pace: no running, no tackling, lots of laughs.",
            [
                "Walking football keeps the skills and team spirit of the game with much less risk of "
                "injury. Sessions include a warm-up, some skills and small-sided games.",
                "Wear trainers. Bibs and balls provided.",
            ],
            ["team-and-social-sport", "physical-activity", "mens-sheds"],
            venues=("leisure_centre",),
            days=ANY_DAY,
            slots=("morning", "evening"),
            costs=(pay("3.00", "per session"), pay("4.00", "per session")),
            capacity=(14, 24),
            min_age=50,
        ),
        _kind(
            "gentle_swim",
            "Gentle Swim and Aquafit",
            "Quiet pool sessions for adults who want to swim or exercise gently in the water.",
            [
                "The shallow end is kept for aquafit to music and the rest for relaxed lane swimming. "
                "Lifeguards are on duty and there is a hoist for the pool.",
            ],
            ["swimming", "gentle-exercise", "physical-activity"],
            venues=("leisure_centre",),
            slots=("morning", "afternoon"),
            costs=(
                pay("3.50", "per session", "£2.50 with a Leisure Card"),
                pay("4.20", "per session", "Free for carers supporting a swimmer"),
            ),
            capacity=(20, 30),
            conditions="arthritis, back pain",
            sessions=2,
        ),
        _kind(
            "tai_chi",
            "Tai Chi for Health",
            "Slow, flowing tai chi movements to improve balance, posture and calm.",
            [
                "Tai chi is gentle enough for almost anyone and can be done seated. It is shown to "
                "reduce falls and help with arthritis and stress.",
            ],
            ["yoga-and-tai-chi", "gentle-exercise", "mindfulness-and-relaxation"],
            venues=("community_centre", "church", "hub"),
            slots=("morning", "afternoon"),
            costs=(pay("4.00", "per class", "£2 concessions"), pay("3.00", "per class")),
            capacity=(10, 20),
        ),
        _kind(
            "gentle_yoga",
            "Gentle and Chair Yoga",
            "Relaxed yoga for all abilities, with chairs for anyone who needs them.",
            ["A calm class focused on breathing, stretching and relaxation. Mats and chairs provided."],
            ["yoga-and-tai-chi", "gentle-exercise", "anxiety-and-stress"],
            venues=("church", "community_centre", "hub"),
            slots=("morning", "evening"),
            costs=(pay("5.00", "per class", "£3 concessions"), pay("4.00", "per class")),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(8, 16),
        ),
        _kind(
            "led_bike_rides",
            "Led Bike Rides",
            "Easy-going group bike rides on quiet roads and traffic-free paths.",
            [
                "Rides are 5 to 15 miles with a café stop. Bikes, including electric and adapted bikes, "
                "can be borrowed free if you book in advance.",
            ],
            ["cycling", "physical-activity"],
            venues=("green",),
            frequencies=(Frequency.FORTNIGHTLY, Frequency.WEEKLY),
            days=(5, 6, 2),
            slots=("morning",),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(8, 15),
        ),
        _kind(
            "bowls",
            "Short Mat Bowls",
            "A sociable indoor bowls club for beginners and experienced players alike.",
            ["Bowls are provided and coaching is free for newcomers. Flat-soled shoes please."],
            ["team-and-social-sport", "physical-activity", "social-groups"],
            venues=("community_centre", "church"),
            slots=("afternoon",),
            costs=(pay("2.00", "per session"),),
            capacity=(12, 24),
            min_age=None,
        ),
        _kind(
            "dance_for_parkinsons",
            "Dance for Parkinson's",
            "A joyful dance class designed for people living with Parkinson's, with partners and carers.",
            [
                "Led by a dance artist trained in Dance for Parkinson's, with live music. Every "
                "movement can be done seated. Carers and partners join in too.",
            ],
            ["dance", "neurological-conditions", "carers"],
            venues=("community_centre", "hub"),
            frequencies=(Frequency.WEEKLY, Frequency.FORTNIGHTLY),
            slots=("afternoon",),
            costs=(pay("3.00", "per class", "Carers free"),),
            capacity=(12, 20),
            carers_welcome=True,
            conditions="Parkinson's",
        ),
        # Money, housing, work -------------------------------------------------------------
        _kind(
            "money_advice_drop_in",
            "Money and Debt Advice Drop-In",
            "Free, confidential help with debts, bills and money worries from trained advisers.",
            [
                "Bring any letters, bills and bank statements you have. An adviser will help you work "
                "out a budget, talk to the people you owe and look at options such as a debt relief order.",
                "If we cannot see you on the day, we will book you an appointment within the week.",
            ],
            ["debt-advice", "money-debt-and-benefits"],
            venues=("premises", "library", "hub"),
            slots=("morning", "afternoon"),
            capacity=(6, 10),
            repeat=True,
        ),
        _kind(
            "benefits_help",
            "Benefits Check and Form-Filling Help",
            "Find out what you are entitled to and get help filling in benefit forms and appeals.",
            [
                "An adviser checks your entitlement to Universal Credit, PIP, Attendance Allowance, "
                "Pension Credit, Carer's Allowance and council tax reduction, and helps you apply.",
                "Appointments last about an hour. We can also see you by phone.",
            ],
            ["benefits-advice", "money-debt-and-benefits"],
            venues=("premises", "library", "hub"),
            frequencies=(Frequency.WEEKLY, Frequency.FORTNIGHTLY),
            slots=("morning", "afternoon"),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            delivery="hybrid_phone",
            capacity=(4, 8),
        ),
        _kind(
            "energy_advice",
            "Energy Bills and Warm Homes Advice",
            "Help to cut energy bills, deal with arrears and keep your home warm.",
            [
                "Advisers can check you are on the best tariff, help with prepayment meter problems, "
                "apply for grants and fuel vouchers, and arrange free home energy improvements.",
            ],
            ["energy-and-bills", "money-debt-and-benefits", "home-repairs-and-adaptations"],
            venues=("library", "community_centre", "premises"),
            frequencies=(Frequency.MONTHLY, Frequency.FORTNIGHTLY),
            slots=("morning", "afternoon"),
            capacity=(6, 12),
        ),
        _kind(
            "housing_surgery",
            "Housing Advice Surgery",
            "Advice if you are worried about losing your home, have problems with a landlord or need to move.",
            [
                "Housing advisers can help with eviction notices, rent arrears, repairs and disrepair, "
                "and applying for social housing. If you have nowhere to stay tonight, phone us straight away.",
            ],
            ["housing", "homelessness"],
            venues=("premises", "hub", "library"),
            slots=("morning",),
            how_to_join=(HowToJoin.DROP_IN, HowToJoin.SELF_REFERRAL),
            delivery="hybrid_phone",
            capacity=(5, 10),
        ),
        _kind(
            "handyperson",
            "Handyperson Service",
            "Small repairs, grab rails and key safes fitted by a trusted handyperson.",
            [
                "Our DBS-checked handypeople do small jobs that make homes safer: grab rails, key safes, "
                "smoke alarms, draught-proofing and minor repairs. You pay for materials only.",
            ],
            ["home-repairs-and-adaptations", "independent-living", "housing"],
            delivery="phone",
            slots=("office",),
            days=WEEKDAYS,
            costs=(pay("10.00", "per hour plus materials", "Free labour if you receive means-tested benefits"),),
            how_to_join=(HowToJoin.SELF_REFERRAL, HowToJoin.REFERRAL_ONLY),
            capacity=None,
            min_age=60,
            eligibility="For people over 60, or disabled adults of any age.",
        ),
        _kind(
            "job_club",
            "{nb} Job Club",
            "Help to find work: CVs, applications, interview practice and job search support.",
            [
                "Advisers and volunteers help with CVs, cover letters and online applications, and "
                "practise interviews with you. Computers, printing and free Wi-Fi are available.",
            ],
            ["employment-and-skills", "digital-skills", "confidence-and-self-esteem"],
            venues=("library", "hub", "premises"),
            slots=("morning", "afternoon"),
            capacity=(8, 15),
            min_age=18,
            repeat=True,
        ),
        _kind(
            "back_to_work",
            "Steps to Work",
            "One-to-one support for people who have been out of work for a long time, including for health reasons.",
            [
                "A keyworker meets you regularly to work on what matters to you: confidence, skills, "
                "volunteering, managing a health condition at work, and finding the right job.",
            ],
            ["employment-and-skills", "long-term-conditions", "confidence-and-self-esteem"],
            venues=("premises", "hub"),
            slots=("office",),
            how_to_join=(HowToJoin.REFERRAL_ONLY, HowToJoin.SELF_REFERRAL),
            delivery="hybrid_phone",
            capacity=None,
            eligibility="Adults of working age, out of work for six months or more.",
        ),
        # Carers --------------------------------------------------------------------------
        _kind(
            "carers_group",
            "{nb} Carers' Support Group",
            "A friendly group for unpaid carers to share experiences, information and a laugh.",
            [
                "Meet other people who care for a family member or friend. Each meeting has time to "
                "chat and, often, a guest speaker on topics such as benefits, Lasting Power of Attorney "
                "or looking after yourself.",
                "If you need someone to sit with the person you care for so you can come, ask us.",
            ],
            ["carers-support", "carers", "loneliness-and-isolation"],
            venues=("premises", "community_centre", "cafe"),
            frequencies=(Frequency.MONTHLY, Frequency.FORTNIGHTLY),
            slots=("morning", "afternoon", "evening"),
            capacity=(10, 25),
            carers_welcome=True,
            eligibility="For unpaid carers of any age over 18.",
            repeat=True,
        ),
        _kind(
            "carers_advice",
            "Carers' Information and Advice",
            "One-to-one advice for carers: carers' assessments, benefits, breaks and planning ahead.",
            [
                "A carers' support worker will listen to what is happening for you and help with "
                "carers' assessments, Carer's Allowance, emergency planning and finding a break.",
            ],
            ["carers-support", "carers", "benefits-advice"],
            venues=("premises",),
            slots=("office",),
            how_to_join=(HowToJoin.SELF_REFERRAL, HowToJoin.REFERRAL_ONLY),
            delivery="hybrid_phone",
            capacity=None,
            carers_welcome=True,
        ),
        _kind(
            "carers_pamper",
            "Carers' Pamper Afternoon",
            "An afternoon off for carers, with hand massages, tea and cake and time to relax.",
            [
                "A chance to put yourself first for a few hours. Therapists offer hand and shoulder "
                "massages and there is a lovely afternoon tea. Booking is essential.",
            ],
            ["respite-and-breaks", "carers"],
            venues=("premises", "community_centre", "church"),
            frequencies=(Frequency.ONCE,),
            slots=("afternoon",),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(15, 25),
            carers_welcome=True,
        ),
        _kind(
            "young_carers_adult",
            "Young Adult Carers' Group",
            "A group for carers aged 18 to 25 to unwind, make friends and get support.",
            ["Trips, food and time with people who understand. Support with college, work and money too."],
            ["carers-support", "carers", "social-groups"],
            venues=("premises", "community_centre"),
            frequencies=(Frequency.FORTNIGHTLY,),
            slots=("evening",),
            capacity=(8, 15),
            max_age=25,
            carers_welcome=True,
        ),
        # Food ------------------------------------------------------------------------------
        _kind(
            "food_bank",
            "{nb} Food Bank",
            "Emergency food parcels for people in crisis, with a warm drink and a friendly welcome.",
            [
                "Each parcel has at least three days of nutritionally balanced food. Toiletries and "
                "baby items are available when we have them.",
                "You need a food bank voucher from a professional such as your link worker, GP, "
                "school or Citizens Advice. If you do not have one, come anyway and we will help.",
                "While you are here, a volunteer can help you get advice on money, benefits and energy "
                "bills so you need the food bank less in future.",
            ],
            ["food-banks-and-pantries", "food", "money-debt-and-benefits"],
            venues=("church", "community_centre", "premises"),
            slots=("morning", "afternoon"),
            how_to_join=(HowToJoin.REFERRAL_ONLY,),
            capacity=None,
            min_age=None,
            carers_welcome=True,
            sessions=2,
            repeat=True,
        ),
        _kind(
            "community_pantry",
            "{nb} Community Pantry",
            "Join for a small weekly fee and choose groceries worth much more, including fresh food.",
            [
                "Members pay a small amount each week and choose around £15 to £20 of food, including "
                "fresh fruit, vegetables, dairy and meat. It is a shop, not a handout.",
                "Membership is open to anyone living locally who is finding money tight.",
            ],
            ["food-banks-and-pantries", "food", "money-debt-and-benefits"],
            venues=("community_centre", "church", "premises"),
            slots=("afternoon", "morning"),
            costs=(pay("3.50", "per weekly shop"), pay("4.00", "per weekly shop")),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(30, 60),
            min_age=None,
            eligibility="For people living locally on a low income.",
            repeat=True,
        ),
        _kind(
            "cook_and_eat",
            "Cook and Eat: Healthy Meals on a Budget",
            "A six-week practical cooking course: make simple, healthy meals and take some home.",
            [
                "Cook a different meal each week, from soups to curries, then sit down and eat it "
                "together. Recipes use cheap ingredients and basic equipment, and you take home a "
                "bag of ingredients to cook it again.",
            ],
            ["cooking-and-healthy-eating", "food", "healthy-weight"],
            venues=("community_centre", "hub", "family_hub"),
            slots=("morning", "afternoon"),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(6, 10),
            course_weeks=6,
        ),
        _kind(
            "community_meal",
            "Pay-As-You-Feel Community Meal",
            "A hot evening meal for everyone, made from surplus food. Pay what you can, or nothing.",
            ["Everyone eats together. Families, students, older people and neighbours all welcome."],
            ["lunch-clubs", "food", "loneliness-and-isolation"],
            venues=("church", "community_centre"),
            slots=("evening",),
            costs=(FREE_DONATIONS,),
            capacity=(30, 60),
            min_age=None,
        ),
        # Arts -----------------------------------------------------------------------------
        _kind(
            "arts_on_prescription",
            "Arts on Prescription",
            "A ten-week creative course for people with low mood, anxiety or long-term pain, led by artists.",
            [
                "Try drawing, painting, printmaking and collage in a small, supportive group. No "
                "experience or talent needed: the point is to enjoy making something.",
                "All materials are provided. At the end of the course there is a small exhibition, if "
                "the group would like one.",
            ],
            ["visual-arts", "arts-and-creativity", "mental-wellbeing", "chronic-pain"],
            venues=("premises", "library", "community_centre"),
            slots=("morning", "afternoon"),
            how_to_join=(HowToJoin.REFERRAL_ONLY,),
            capacity=(8, 12),
            course_weeks=10,
        ),
        _kind(
            "community_choir",
            "{place} Community Choir",
            "A friendly choir with no auditions: pop, folk and musicals, learnt by ear.",
            [
                "You do not need to read music or to have sung before. We learn songs in parts by ear "
                "and perform a couple of times a year, if you want to.",
            ],
            ["music-and-singing", "arts-and-creativity", "social-groups"],
            venues=("church", "community_centre"),
            slots=("evening",),
            costs=(pay("4.00", "per session", "Free for your first two sessions"), pay("3.00", "per session")),
            capacity=(20, 50),
            min_age=None,
        ),
        _kind(
            "singing_for_lung_health",
            "Singing for Lung Health",
            "A singing group that helps people with COPD and other lung conditions manage breathlessness.",
            [
                "Led by a practitioner trained in singing for lung health. Warm-ups and songs are "
                "chosen to help control your breathing and posture, and it is great fun.",
                "Bring your inhaler. You can sit throughout.",
            ],
            ["breathing-and-copd", "music-and-singing", "long-term-conditions"],
            venues=("church", "community_centre", "hub"),
            slots=("afternoon", "morning"),
            costs=(FREE, pay("2.00", "per session")),
            how_to_join=(HowToJoin.SELF_REFERRAL, HowToJoin.REFERRAL_ONLY),
            capacity=(12, 20),
            carers_welcome=True,
            conditions="COPD, asthma, long COVID",
        ),
        _kind(
            "craft_group",
            "Craft and Chat",
            "A weekly craft group: card making, sewing, painting and whatever the group fancies.",
            ["Materials provided. Bring your own project if you have one on the go."],
            ["crafts", "arts-and-creativity", "loneliness-and-isolation"],
            venues=("community_centre", "library", "church"),
            slots=("afternoon", "morning"),
            costs=(pay("2.00", "per session, including materials"), FREE),
            capacity=(8, 15),
        ),
        _kind(
            "creative_writing",
            "Creative Writing Group",
            "Write stories, poems and memories in a warm, encouraging group.",
            ["Each session starts with a short prompt. Sharing your writing is always optional."],
            ["drama-and-writing", "arts-and-creativity", "mental-wellbeing"],
            venues=("library", "cafe"),
            frequencies=(Frequency.FORTNIGHTLY, Frequency.WEEKLY),
            slots=("afternoon", "evening"),
            capacity=(6, 14),
        ),
        _kind(
            "photography_walk",
            "Photography Walks",
            "Monthly walks with a camera or phone, learning to take better photos of the local area.",
            ["Use any camera, including a phone. Walks are slow and include plenty of stops."],
            ["visual-arts", "walking", "nature-and-conservation"],
            venues=("green",),
            frequencies=(Frequency.MONTHLY,),
            days=(5, 6),
            slots=("morning",),
            capacity=(8, 15),
        ),
        # Learning, digital ------------------------------------------------------------------
        _kind(
            "digital_drop_in",
            "Get Online Drop-In",
            "Friendly one-to-one help with phones, tablets, computers, email, the NHS App and online shopping.",
            [
                "Bring your own device, or use one of ours. Digital Champions can help with whatever "
                "you want to do: video calls with family, ordering repeat prescriptions, online banking "
                "safely, or spotting scams.",
            ],
            ["digital-skills"],
            venues=("library", "community_centre", "hub"),
            slots=("morning", "afternoon"),
            capacity=(6, 12),
            repeat=True,
        ),
        _kind(
            "smartphone_workshop",
            "Smartphone and Tablet Basics Workshop",
            "A two-hour workshop for beginners: calls, messages, photos, Wi-Fi and staying safe.",
            ["Small groups with plenty of helpers. Loan tablets available if you do not have a device."],
            ["digital-skills"],
            venues=("library", "community_centre"),
            frequencies=(Frequency.ONCE,),
            slots=("morning", "afternoon"),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(6, 10),
        ),
        _kind(
            "esol_conversation",
            "English Conversation Club",
            "Practise speaking English in a friendly, informal group. All levels welcome.",
            [
                "Volunteers lead conversation on everyday topics: shopping, the doctor, the bus, the "
                "weather. It is a good way to build confidence and meet people.",
                "We can tell you about formal ESOL classes too.",
            ],
            ["english-language", "new-to-the-area", "learning"],
            venues=("library", "community_centre", "church"),
            slots=("morning", "afternoon", "evening"),
            capacity=(10, 25),
            languages=("English, Arabic, Farsi, Kurdish", "English, Ukrainian, Polish", "English"),
            repeat=True,
        ),
        _kind(
            "book_group",
            "{nb} Library Reading Group",
            "A monthly book group: read the chosen book, then meet to talk about it over tea.",
            ["Books are provided by the library, including large print and audio versions."],
            ["reading-and-book-groups", "learning", "social-groups"],
            venues=("library",),
            frequencies=(Frequency.MONTHLY,),
            slots=("afternoon", "evening"),
            capacity=(8, 15),
        ),
        _kind(
            "adult_maths",
            "Everyday Maths for Adults",
            "A free course to build confidence with everyday maths: budgets, bills and helping children with homework.",
            ["Small, friendly classes. You can work towards a qualification if you want to."],
            ["adult-courses", "learning", "employment-and-skills"],
            venues=("library", "premises", "community_centre"),
            slots=("morning", "evening"),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(8, 14),
            course_weeks=10,
        ),
        # Volunteering ----------------------------------------------------------------------
        _kind(
            "volunteer_taster",
            "Volunteering Taster Sessions",
            "Find the right volunteering role for you, with a chat and a taster visit.",
            [
                "Whether you have an hour a month or a day a week, we will find something that suits "
                "you: gardening, driving, befriending, charity shops, events and much more.",
                "Volunteering is a great way to meet people, learn skills and feel useful. We can also "
                "support people with health conditions to volunteer.",
            ],
            ["volunteering", "confidence-and-self-esteem", "employment-and-skills"],
            venues=("premises", "library"),
            frequencies=(Frequency.MONTHLY, Frequency.WEEKLY),
            slots=("morning", "afternoon"),
            how_to_join=(HowToJoin.DROP_IN, HowToJoin.SELF_REFERRAL),
            capacity=(6, 12),
        ),
        # Bereavement ---------------------------------------------------------------------
        _kind(
            "bereavement_group",
            "Bereavement Support Group",
            "A gentle, confidential group for people who have lost someone close to them.",
            [
                "Meet others who understand what grief is like. Sessions are led by trained bereavement "
                "volunteers; you can talk, or just listen.",
                "We also offer one-to-one support by phone if a group does not feel right.",
            ],
            ["bereavement", "mental-wellbeing"],
            venues=("church", "hub", "community_centre"),
            frequencies=(Frequency.FORTNIGHTLY, Frequency.MONTHLY),
            slots=("afternoon", "evening"),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(6, 12),
        ),
        _kind(
            "bereavement_cafe",
            "{nb} Bereavement Café",
            "An informal café for bereaved people to chat over tea and cake, whenever the loss happened.",
            ["No booking and no pressure to talk about your loss. Many people make lasting friendships."],
            ["bereavement", "loneliness-and-isolation", "social-groups"],
            venues=("cafe", "church"),
            frequencies=(Frequency.MONTHLY,),
            slots=("afternoon",),
            capacity=(10, 25),
        ),
        _kind(
            "bereavement_phone",
            "One-to-One Bereavement Support",
            "Six to eight sessions with a trained bereavement volunteer, by phone, video or in person.",
            ["There is usually a short wait. We will ring you within a week of your referral to talk it through."],
            ["bereavement", "low-mood"],
            delivery="phone",
            frequencies=(),
            how_to_join=(HowToJoin.SELF_REFERRAL, HowToJoin.REFERRAL_ONLY),
            capacity=None,
        ),
        # Long-term conditions -----------------------------------------------------------
        _kind(
            "memory_cafe",
            "{nb} Memory Café",
            "A relaxed café for people living with dementia or memory problems and those who care for them.",
            [
                "Enjoy music, reminiscence, quizzes and crafts, with tea and cake. Dementia advisers "
                "are on hand for a quiet word about diagnosis, support and planning ahead.",
                "Come together or on your own. Everyone is welcome, whether or not there is a diagnosis.",
            ],
            ["dementia", "carers", "loneliness-and-isolation"],
            venues=("church", "community_centre", "cafe"),
            frequencies=(Frequency.MONTHLY, Frequency.FORTNIGHTLY),
            slots=("afternoon", "morning"),
            costs=(FREE, pay("2.00", "per person, including tea and cake")),
            capacity=(15, 30),
            min_age=None,
            carers_welcome=True,
            conditions="dementia, memory problems",
            repeat=True,
        ),
        _kind(
            "singing_for_the_brain",
            "Singing for Memory",
            "Singing familiar songs together, for people with dementia and their carers.",
            ["Warm-ups, old favourites and a cuppa. Songbooks in large print; no experience needed."],
            ["dementia", "music-and-singing", "carers"],
            venues=("church", "community_centre"),
            frequencies=(Frequency.FORTNIGHTLY, Frequency.WEEKLY),
            slots=("afternoon",),
            capacity=(15, 30),
            min_age=None,
            carers_welcome=True,
            conditions="dementia",
        ),
        _kind(
            "breathe_support",
            "{place} Breathing Space Support Group",
            "A support group for people living with COPD and other lung conditions, and their families.",
            [
                "Monthly meetings with guest speakers from the respiratory team, gentle exercise and "
                "social outings. A great place to share tips on managing breathlessness.",
            ],
            ["breathing-and-copd", "long-term-conditions", "peer-support"],
            venues=("community_centre", "hub", "church"),
            frequencies=(Frequency.MONTHLY,),
            slots=("afternoon",),
            capacity=(15, 30),
            carers_welcome=True,
            conditions="COPD, asthma, bronchiectasis, pulmonary fibrosis",
        ),
        _kind(
            "stroke_club",
            "{place} Stroke Club",
            "A social club for stroke survivors and their carers: activities, speech practice and friendship.",
            [
                "Games, quizzes, gentle exercise and communication support for people with aphasia. "
                "Volunteers help with getting about the building.",
            ],
            ["heart-and-stroke", "long-term-conditions", "loneliness-and-isolation"],
            venues=("community_centre", "church"),
            frequencies=(Frequency.FORTNIGHTLY, Frequency.WEEKLY),
            slots=("afternoon", "morning"),
            costs=(pay("2.00", "per session"), FREE),
            capacity=(15, 25),
            carers_welcome=True,
            conditions="stroke, aphasia",
        ),
        _kind(
            "diabetes_support",
            "Living Well with Type 2 Diabetes",
            "A friendly monthly group to learn about and manage type 2 diabetes, with a diabetes nurse.",
            ["Each month covers a topic such as food labels, foot care, medication or staying active."],
            ["diabetes", "long-term-conditions", "healthy-weight"],
            venues=("hub", "community_centre", "library"),
            frequencies=(Frequency.MONTHLY,),
            slots=("morning", "evening"),
            capacity=(12, 25),
            conditions="type 2 diabetes, pre-diabetes",
            languages=("English", "English, Urdu, Punjabi"),
        ),
        _kind(
            "pain_cafe",
            "Living with Persistent Pain",
            "Peer support and practical ideas for living well with chronic pain.",
            [
                "A group for people living with long-term pain, run with a physiotherapist. Topics "
                "include pacing, sleep, flare-up plans, gentle movement and talking to your GP.",
            ],
            ["chronic-pain", "long-term-conditions", "peer-support"],
            venues=("hub", "community_centre"),
            frequencies=(Frequency.FORTNIGHTLY, Frequency.MONTHLY),
            slots=("afternoon", "morning"),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            delivery="hybrid",
            capacity=(8, 15),
            conditions="chronic pain, fibromyalgia, arthritis",
        ),
        _kind(
            "cancer_support",
            "After Cancer Support Group",
            "Support for anyone living with or after cancer, and the people close to them.",
            ["Talk to people who have been there, and get help with fatigue, work, money and worry."],
            ["cancer", "long-term-conditions", "peer-support"],
            venues=("hub", "premises", "church"),
            frequencies=(Frequency.MONTHLY, Frequency.FORTNIGHTLY),
            slots=("afternoon", "evening"),
            capacity=(8, 20),
            carers_welcome=True,
            conditions="cancer",
        ),
        _kind(
            "sight_loss_group",
            "Sight Loss Social and Support Group",
            "A social group for people with sight loss: information, equipment demonstrations and friendship.",
            [
                "Try out magnifiers, talking books and phone accessibility features, meet the sensory "
                "team and share tips. Volunteers can meet you at the bus stop.",
            ],
            ["sight-and-hearing-loss", "long-term-conditions", "loneliness-and-isolation"],
            venues=("library", "community_centre", "hub"),
            frequencies=(Frequency.MONTHLY,),
            slots=("morning", "afternoon"),
            capacity=(10, 20),
            carers_welcome=True,
            conditions="sight loss",
            languages=("English",),
        ),
        _kind(
            "hearing_aid_clinic",
            "Hearing Aid Drop-In",
            "Free hearing aid maintenance: new tubes, batteries, cleaning and advice.",
            ["Bring your NHS hearing aids and your brown book if you have one."],
            ["sight-and-hearing-loss", "independent-living"],
            venues=("library", "hub"),
            frequencies=(Frequency.MONTHLY,),
            slots=("morning",),
            capacity=(15, 25),
            conditions="hearing loss",
            languages=("English, British Sign Language",),
        ),
        _kind(
            "parkinsons_group",
            "{place} Parkinson's Support Group",
            "A support group for people with Parkinson's and their families.",
            ["Talks, exercise, outings and a chance to share experiences and information."],
            ["neurological-conditions", "long-term-conditions", "carers"],
            venues=("community_centre", "church"),
            frequencies=(Frequency.MONTHLY,),
            slots=("afternoon",),
            capacity=(15, 30),
            carers_welcome=True,
            conditions="Parkinson's",
        ),
        # Healthy living ------------------------------------------------------------------
        _kind(
            "healthy_weight",
            "Healthy Weight Group",
            "A supportive 12-week group to eat well, move more and reach a healthier weight.",
            ["Weekly weigh-ins (optional), practical tips, and recipes that do not cost the earth."],
            ["healthy-weight", "healthy-living", "cooking-and-healthy-eating"],
            venues=("hub", "community_centre", "leisure_centre"),
            slots=("evening", "morning"),
            how_to_join=(HowToJoin.SELF_REFERRAL, HowToJoin.REFERRAL_ONLY),
            capacity=(10, 16),
            course_weeks=12,
        ),
        _kind(
            "stop_smoking",
            "Stop Smoking Drop-In",
            "Free support and stop-smoking aids, including vapes, from a trained adviser.",
            ["You are three times more likely to quit with support. Weekly check-ins for 12 weeks."],
            ["stopping-smoking", "healthy-living"],
            venues=("hub", "library"),
            slots=("afternoon", "evening"),
            delivery="hybrid_phone",
            capacity=(6, 12),
        ),
        _kind(
            "drink_less",
            "Drink Less, Live More",
            "Confidential support to cut down on alcohol, one-to-one or in a small group.",
            ["Not for people who need medical help to stop drinking; we can help you find that service."],
            ["drinking-less", "healthy-living", "mental-wellbeing"],
            venues=("hub",),
            slots=("evening", "afternoon"),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            delivery="hybrid",
            capacity=(6, 10),
        ),
        # Gardening and nature --------------------------------------------------------------
        _kind(
            "community_garden",
            "{nb} Community Garden",
            "Grow fruit, vegetables and flowers with neighbours in a friendly community garden.",
            [
                "No experience needed and no commitment: come when you can. We share the harvest and "
                "have a brew and biscuits halfway through.",
                "Raised beds and a covered area mean everyone can take part, whatever the weather.",
            ],
            ["community-gardening", "gardening-and-nature", "loneliness-and-isolation"],
            venues=("allotment", "green"),
            days=ANY_DAY,
            slots=("morning", "afternoon"),
            capacity=(10, 20),
            min_age=None,
            repeat=True,
        ),
        _kind(
            "therapeutic_allotment",
            "Therapeutic Allotment Project",
            "Gardening in a small, supported group for people recovering from mental ill health.",
            [
                "Sessions are run by a horticultural therapist. Tasks are matched to how you are "
                "feeling that day. Tools, gloves and waterproofs are provided.",
            ],
            ["community-gardening", "mental-wellbeing", "gardening-and-nature"],
            venues=("allotment",),
            slots=("morning",),
            how_to_join=(HowToJoin.REFERRAL_ONLY,),
            capacity=(6, 10),
        ),
        _kind(
            "conservation_day",
            "Conservation Volunteering Days",
            "Outdoor practical conservation: hedge laying, path repair, tree planting and litter picks.",
            [
                "Work at your own pace in a friendly team, with a break for tea and cake. Tools, "
                "gloves and training provided. Wear old clothes and sturdy shoes.",
            ],
            ["nature-and-conservation", "volunteering", "physical-activity"],
            venues=("green",),
            frequencies=(Frequency.FORTNIGHTLY, Frequency.MONTHLY),
            days=(2, 3, 5),
            slots=("morning",),
            capacity=(8, 20),
            min_age=None,
        ),
        _kind(
            "green_gym",
            "Green Gym",
            "Get fit outdoors doing practical conservation work, with a warm-up and cool-down.",
            ["A proper workout without a gym. Sessions finish with a brew round the tea urn."],
            ["nature-and-conservation", "physical-activity", "mental-wellbeing"],
            venues=("green",),
            days=(1, 3),
            slots=("morning",),
            capacity=(8, 16),
        ),
        _kind(
            "nature_walk",
            "Wildlife Walks",
            "Gentle guided walks to spot birds, flowers and wildlife, with a local naturalist.",
            ["Binoculars can be borrowed. Walks are about 90 minutes with stops."],
            ["nature-and-conservation", "walking"],
            venues=("green",),
            frequencies=(Frequency.MONTHLY, Frequency.ONCE),
            days=(5, 6),
            slots=("morning",),
            capacity=(10, 25),
            min_age=None,
        ),
        # Families ---------------------------------------------------------------------------
        _kind(
            "stay_and_play",
            "{nb} Stay and Play",
            "Play sessions for babies and children under five with their parents and carers.",
            ["Toys, messy play, songs and a snack, and a chance for grown-ups to chat over a cuppa."],
            ["family-activities", "parenting-and-families", "loneliness-and-isolation"],
            venues=("family_hub", "community_centre", "church"),
            costs=(FREE, pay("1.50", "per family")),
            capacity=(10, 20),
            min_age=None,
            repeat=True,
        ),
        _kind(
            "bumps_and_babies",
            "Bumps and Babies",
            "A relaxed group for parents-to-be and parents of babies under one.",
            ["Health visitors drop in every week for a chat and baby weighing. Breastfeeding support on hand."],
            ["new-parents", "parenting-and-families", "mental-wellbeing"],
            venues=("family_hub", "library"),
            slots=("morning",),
            capacity=(10, 15),
            min_age=None,
        ),
        _kind(
            "dads_club",
            "Dads' Saturday Club",
            "A Saturday morning club for dads, grandads and male carers and their children.",
            ["Messy play, football, crafts and bacon butties. Mums welcome too."],
            ["family-activities", "parenting-and-families"],
            venues=("family_hub", "community_centre"),
            frequencies=(Frequency.FORTNIGHTLY, Frequency.MONTHLY),
            days=(5,),
            slots=("morning",),
            capacity=(10, 20),
            min_age=None,
        ),
        _kind(
            "parenting_course",
            "Parenting Course: Understanding Your Child",
            "A ten-week course for parents on behaviour, feelings and family life.",
            ["A warm, non-judgemental group where parents share what works. Crèche available."],
            ["parenting-and-families", "mental-wellbeing"],
            venues=("family_hub",),
            slots=("morning",),
            how_to_join=(HowToJoin.SELF_REFERRAL, HowToJoin.REFERRAL_ONLY),
            capacity=(8, 12),
            course_weeks=10,
        ),
        # Safety, transport, independence -----------------------------------------------------
        _kind(
            "freedom_programme",
            "Freedom Programme",
            "A free 11-week programme for women who have experienced domestic abuse.",
            [
                "Understand the beliefs and tactics of abusive partners, the effects on you and your "
                "children, and how to recognise healthy relationships. The venue is not published: we "
                "will tell you where it is when you register.",
            ],
            ["relationships-and-safety", "mental-wellbeing"],
            venues=(),
            slots=("morning",),
            how_to_join=(HowToJoin.SELF_REFERRAL, HowToJoin.REFERRAL_ONLY),
            capacity=(8, 12),
            course_weeks=11,
            eligibility="Women aged 18 and over.",
        ),
        _kind(
            "domestic_abuse_helpline",
            "Domestic Abuse Advice Line",
            "Confidential advice and safety planning by phone for anyone affected by domestic abuse.",
            [
                "Our advisers listen without judging and help you plan to stay safe, whether or not "
                "you want to leave. In an emergency always call 999.",
            ],
            ["relationships-and-safety"],
            delivery="phone",
            slots=("office",),
            days=WEEKDAYS,
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=None,
            min_age=16,
        ),
        _kind(
            "community_car_scheme",
            "Community Car Scheme",
            "Volunteer drivers take you to appointments, shops and social activities.",
            [
                "Book at least two working days ahead. Drivers will help you in and out of the car; "
                "some vehicles can take folding wheelchairs.",
            ],
            ["transport-and-getting-about", "independent-living", "loneliness-and-isolation"],
            delivery="phone",
            slots=("office",),
            days=WEEKDAYS,
            costs=(pay("0.55", "per mile, shared with other passengers"), pay("0.50", "per mile")),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=None,
            eligibility="For people who cannot use public transport.",
        ),
        _kind(
            "shopping_bus",
            "Dial-a-Ride Shopping Trips",
            "A door-to-door accessible minibus to the local shops and back, once a week.",
            ["The driver and escort help with bags. The bus has a wheelchair lift."],
            ["transport-and-getting-about", "independent-living", "loneliness-and-isolation"],
            venues=("community_centre",),
            days=(1, 3),
            slots=("morning",),
            costs=(pay("4.00", "return", "Bus passes not accepted"),),
            how_to_join=(HowToJoin.SELF_REFERRAL,),
            capacity=(12, 16),
            min_age=None,
            eligibility="Registered members who find buses difficult.",
        ),
        _kind(
            "welcome_cafe",
            "{place} Welcome Café",
            "A warm welcome for refugees, asylum seekers and anyone new to the area.",
            [
                "Free hot food, English conversation, advice on housing, health and benefits, and a "
                "clothing bank. Interpreters are usually available.",
            ],
            ["new-to-the-area", "english-language", "loneliness-and-isolation"],
            venues=("church", "community_centre"),
            slots=("lunch", "afternoon"),
            capacity=(30, 60),
            min_age=None,
            languages=(
                "English, Arabic, Farsi, Kurdish, Tigrinya",
                "English, Ukrainian, Russian",
                "English, Arabic, Pashto, Dari",
            ),
        ),
    ]
}


@dataclass(frozen=True)
class OrganisationKind:
    key: str
    name: str  # may use {place}, {green}
    description: str
    kinds: tuple[str, ...]  # kinds of activity it runs; the first ``core`` always, others by chance
    core: int = 2
    extra: tuple[int, int] = (1, 2)
    spread: int = 1  # neighbourhoods it works in
    # Its own building: True for one named after it, or a venue type (its neighbourhood's
    # community centre, say) that it looks after.
    premises: bool | str = False
    local: bool = False  # named after its neighbourhood rather than its patch
    trusted_chance: float = 0.2


def _org(key, name, description, kinds, **options) -> OrganisationKind:
    return OrganisationKind(key=key, name=name, description=description, kinds=tuple(kinds.split()), **options)


ORGANISATION_KINDS: dict[str, OrganisationKind] = {
    kind.key: kind
    for kind in [
        _org(
            "carers_centre",
            "{place} Carers' Centre",
            "Information, advice and support for unpaid carers across {place}: groups, breaks, "
            "one-to-one support and carers' assessments.",
            "carers_group carers_advice carers_pamper memory_cafe young_carers_adult telephone_befriending",
            core=3,
            spread=3,
            premises=True,
            trusted_chance=0.6,
        ),
        _org(
            "food_bank",
            "{place} Food Bank",
            "Emergency food and support for people in crisis in {place}, run by local churches and volunteers.",
            "food_bank cook_and_eat money_advice_drop_in",
            core=1,
            extra=(1, 2),
            spread=3,
            trusted_chance=0.4,
        ),
        _org(
            "pantry",
            "{place} Community Pantry",
            "A membership food club in {place} that stretches the weekly shop and cuts food waste.",
            "community_pantry cook_and_eat community_meal warm_space",
            core=1,
            spread=2,
            local=True,
        ),
        _org(
            "community_association",
            "{place} Community Association",
            "A volunteer-run community centre for everyone in {place}, with groups and activities all week.",
            "coffee_morning chair_exercise lunch_club knit_and_natter tea_dance warm_space stay_and_play bowls "
            "craft_group digital_drop_in",
            core=2,
            extra=(2, 4),
            premises="community_centre",
            local=True,
        ),
        _org(
            "mens_shed",
            "{place} Men's Shed",
            "A community workshop in {place} where people (mostly men) make, mend and chat.",
            "mens_shed mens_talking_group walking_football",
            core=1,
            extra=(0, 1),
            premises=True,
            local=True,
        ),
        _org(
            "age_friendly",
            "Age Well {place}",
            "Helping older people in {place} stay connected, active and independent.",
            "lunch_club telephone_befriending home_befriending tea_dance digital_drop_in chair_exercise "
            "strength_and_balance shopping_bus",
            core=2,
            extra=(2, 3),
            spread=3,
            trusted_chance=0.5,
        ),
        _org(
            "wellbeing_collective",
            "{place} Wellbeing Collective",
            "A mental health charity in {place}: peer support, courses and a listening ear for anyone "
            "who is struggling.",
            "wellbeing_cafe managing_anxiety mens_talking_group mindfulness confidence_course hearing_voices "
            "womens_circle",
            core=2,
            extra=(2, 3),
            spread=2,
            trusted_chance=0.4,
        ),
        _org(
            "advice_centre",
            "{place} Advice Centre",
            "Free, independent and confidential advice on money, debt, benefits, housing and energy in {place}.",
            "money_advice_drop_in benefits_help housing_surgery energy_advice",
            core=2,
            extra=(1, 2),
            spread=2,
            premises=True,
            trusted_chance=0.5,
        ),
        _org(
            "active",
            "Active {place}",
            "Getting people in {place} moving, whatever their age, ability or fitness.",
            "walking_for_health chair_exercise walking_football gentle_swim tai_chi led_bike_rides "
            "strength_and_balance gentle_yoga",
            core=2,
            extra=(2, 3),
            spread=3,
            trusted_chance=0.3,
        ),
        _org(
            "arts",
            "Creative {place}",
            "An arts charity in {place} using creativity to improve health and wellbeing.",
            "arts_on_prescription community_choir singing_for_lung_health craft_group creative_writing "
            "photography_walk",
            core=1,
            extra=(2, 3),
            spread=2,
            premises=True,
        ),
        _org(
            "green",
            "{place} Green Spaces Trust",
            "Looking after green spaces in {place} with local volunteers, and using nature to help people feel better.",
            "conservation_day community_garden therapeutic_allotment green_gym nature_walk",
            core=2,
            extra=(1, 2),
            spread=3,
        ),
        _org(
            "friends_of_park",
            "Friends of {green}",
            "Volunteers caring for {green} and running activities for the community.",
            "conservation_day nature_walk community_garden walking_for_health",
            core=1,
            extra=(1, 2),
            local=True,
        ),
        _org(
            "learning",
            "{place} Community Learning",
            "Free and low-cost courses and drop-ins for adults in {place}, in libraries and community venues.",
            "esol_conversation digital_drop_in smartphone_workshop book_group adult_maths job_club confidence_course",
            core=2,
            extra=(2, 3),
            spread=3,
            trusted_chance=0.5,
        ),
        _org(
            "volunteer_centre",
            "{place} Volunteer Centre",
            "Matching people in {place} with volunteering that suits them, and supporting local groups.",
            "volunteer_taster digital_drop_in conservation_day",
            core=1,
            extra=(1, 1),
            premises=True,
        ),
        _org(
            "bereavement",
            "{place} Bereavement Support",
            "Support for bereaved adults across {place}: groups, cafés and one-to-one support.",
            "bereavement_group bereavement_cafe bereavement_phone",
            core=2,
            extra=(0, 1),
            spread=2,
        ),
        _org(
            "family_hub",
            "{place} Family Hub",
            "Support and activities for families with children and young people in {place}.",
            "stay_and_play bumps_and_babies dads_club parenting_course cook_and_eat",
            core=2,
            extra=(1, 2),
            spread=2,
            local=True,
        ),
        _org(
            "safer_lives",
            "Safer Lives {place}",
            "Specialist support for anyone in {place} affected by domestic abuse.",
            "domestic_abuse_helpline freedom_programme womens_circle",
            core=2,
            extra=(0, 1),
            trusted_chance=0.6,
        ),
        _org(
            "transport",
            "{place} Community Transport",
            "Accessible, affordable transport for people in {place} who cannot use buses easily.",
            "community_car_scheme shopping_bus",
            core=1,
            extra=(1, 1),
            spread=2,
        ),
        _org(
            "breathing_space",
            "{place} Breathing Space",
            "A charity for people in {place} living with lung conditions, and their families.",
            "breathe_support singing_for_lung_health chair_exercise",
            core=2,
            extra=(0, 1),
            spread=2,
        ),
        _org(
            "stroke_club",
            "{place} Stroke Survivors",
            "Friendship and practical support for stroke survivors and carers in {place}.",
            "stroke_club chair_exercise",
            core=1,
            extra=(1, 1),
        ),
        _org(
            "dementia_friendly",
            "Dementia Friendly {place}",
            "Helping {place} be a place where people living with dementia, and their carers, feel included.",
            "memory_cafe singing_for_the_brain dance_for_parkinsons carers_group",
            core=2,
            extra=(0, 1),
            spread=2,
        ),
        _org(
            "conditions_network",
            "{place} Health Conditions Network",
            "Peer support groups in {place} for people living with long-term health conditions.",
            "diabetes_support pain_cafe cancer_support sight_loss_group hearing_aid_clinic parkinsons_group",
            core=2,
            extra=(1, 2),
            spread=2,
        ),
        _org(
            "church",
            "St {saint}'s Church, {place}",
            "A parish church serving the whole community of {place}, whatever your faith or none.",
            "coffee_morning community_meal warm_space food_bank bereavement_cafe",
            core=1,
            extra=(1, 2),
            local=True,
        ),
        _org(
            "pride",
            "{place} Rainbow Network",
            "A volunteer-led network for LGBTQ+ people in {place}.",
            "lgbt_social lgbt_over_50s wellbeing_cafe",
            core=2,
            extra=(0, 1),
        ),
        _org(
            "welcome",
            "{place} Welcome Network",
            "Friendship and practical help for refugees, asylum seekers and new arrivals in {place}.",
            "welcome_cafe esol_conversation womens_circle",
            core=2,
            extra=(0, 1),
            spread=2,
        ),
        _org(
            "womens_centre",
            "{place} Women's Centre",
            "A welcoming centre for women in {place}: groups, courses, advice and a crèche.",
            "womens_circle confidence_course freedom_programme esol_conversation cook_and_eat",
            core=2,
            extra=(1, 2),
            premises=True,
            local=True,
        ),
        _org(
            "asian_elders",
            "{place} Asian Elders Association",
            "A day centre and lunch club for South Asian elders in {place}.",
            "elders_lunch diabetes_support chair_exercise",
            core=1,
            extra=(1, 2),
            premises=True,
            local=True,
        ),
        _org(
            "caribbean_elders",
            "{place} Caribbean Elders Association",
            "A day centre for African-Caribbean elders in {place}, founded by the Windrush generation.",
            "caribbean_elders chair_exercise memory_cafe",
            core=1,
            extra=(1, 1),
            premises=True,
            local=True,
        ),
        _org(
            "jobs_hub",
            "{place} Jobs and Skills Hub",
            "Free help in {place} to find work, learn new skills and get online.",
            "job_club back_to_work digital_drop_in adult_maths",
            core=2,
            extra=(1, 2),
            spread=2,
            premises=True,
        ),
        _org(
            "young_adults",
            "{place} Young Adults Project",
            "A youth charity in {place} for young adults aged 18 to 25.",
            "young_adults_social job_club wellbeing_cafe",
            core=1,
            extra=(1, 2),
            local=True,
        ),
        _org(
            "healthy_living",
            "Healthy {place}",
            "Free support in {place} to eat well, move more, stop smoking and drink less.",
            "healthy_weight stop_smoking drink_less cook_and_eat walking_for_health",
            core=2,
            extra=(1, 2),
            spread=3,
            trusted_chance=0.5,
        ),
    ]
}

# Which organisations each area has: (kind of organisation, home neighbourhood, place name).
# The place name defaults to the neighbourhood (for local organisations) or its patch.
# Order matters: ``--scale`` keeps the first organisations of each area.
ORGANISATIONS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "dorset": (
        ("carers_centre", "poole-town", "Poole"),
        ("active", "hamworthy", "Poole"),
        ("community_association", "oakdale", None),
        ("food_bank", "weymouth", None),
        ("wellbeing_collective", "bournemouth-centre", None),
        ("mens_shed", "broadstone", None),
        ("advice_centre", "poole-town", None),
        ("age_friendly", "christchurch", None),
        ("carers_centre", "dorchester", "West Dorset"),
        ("arts", "bridport", "Bridport"),
        ("green", "wareham", None),
        ("learning", "winton", "Bournemouth"),
        ("community_association", "kinson", None),
        ("food_bank", "boscombe", "Bournemouth"),
        ("pantry", "hamworthy", None),
        ("mens_shed", "swanage", None),
        ("volunteer_centre", "wimborne", None),
        ("bereavement", "ferndown", None),
        ("family_hub", "canford-heath", None),
        ("safer_lives", "dorchester", "Dorset"),
        ("transport", "sturminster-newton", None),
        ("breathing_space", "christchurch", None),
        ("stroke_club", "parkstone", "Poole"),
        ("dementia_friendly", "lyme-regis", None),
        ("church", "verwood", None),
        ("pride", "bournemouth-centre", "Bournemouth"),
        ("age_friendly", "sherborne", None),
        ("friends_of_park", "poole-town", None),
        ("community_association", "littlemoor", None),
        ("conditions_network", "dorchester", "Dorset"),
    ),
    "halton": (
        ("carers_centre", "halton-lea", "Halton"),
        ("food_bank", "widnes-centre", "Widnes"),
        ("community_association", "castlefields", None),
        ("active", "halton-view", "Halton"),
        ("wellbeing_collective", "runcorn-old-town", "Halton"),
        ("mens_shed", "west-bank", None),
        ("advice_centre", "widnes-centre", "Halton"),
        ("age_friendly", "appleton", "Widnes"),
        ("food_bank", "runcorn-old-town", "Runcorn"),
        ("arts", "runcorn-old-town", "Runcorn"),
        ("green", "murdishaw", "Halton"),
        ("learning", "widnes-centre", "Halton"),
        ("family_hub", "palace-fields", None),
        ("community_association", "ditton", None),
        ("bereavement", "halton-lea", "Halton"),
        ("church", "farnworth", None),
        ("transport", "halton-lea", "Halton"),
        ("breathing_space", "widnes-centre", "Widnes"),
        ("jobs_hub", "halton-lea", "Runcorn"),
        ("pantry", "windmill-hill", None),
    ),
    "leeds": (
        ("carers_centre", "leeds-city-centre", "Leeds"),
        ("food_bank", "beeston", "South Leeds"),
        ("community_association", "belle-isle", None),
        ("wellbeing_collective", "hunslet", "South Leeds"),
        ("asian_elders", "harehills", None),
        ("active", "cross-gates", "East Leeds"),
        ("advice_centre", "harehills", "Leeds"),
        ("mens_shed", "garforth", None),
        ("age_friendly", "middleton", "South Leeds"),
        ("welcome", "harehills", "Leeds"),
        ("food_bank", "seacroft", "East Leeds"),
        ("arts", "holbeck", "Holbeck"),
        ("caribbean_elders", "chapeltown", None),
        ("learning", "chapeltown", "Leeds"),
        ("womens_centre", "harehills", None),
        ("green", "kirkstall", "Leeds"),
        ("community_association", "gipton", None),
        ("age_friendly", "cross-gates", "East Leeds"),
        ("pantry", "armley", None),
        ("family_hub", "seacroft", None),
        ("bereavement", "leeds-city-centre", "Leeds"),
        ("safer_lives", "leeds-city-centre", "Leeds"),
        ("young_adults", "armley", None),
        ("mens_shed", "morley", None),
        ("transport", "garforth", "East Leeds"),
        ("pride", "leeds-city-centre", "Leeds"),
        ("dementia_friendly", "rothwell", None),
        ("conditions_network", "headingley", "Leeds"),
        ("community_association", "bramley", None),
        ("church", "headingley", None),
    ),
}

# Venues, by type: how each is named and described. {nb} is the neighbourhood's name.
VENUE_TYPES: dict[str, dict] = {
    "community_centre": {"names": ("{nb} Community Centre", "{nb} Community Hall", "{nb} Village Hall")},
    "library": {"names": ("{nb} Library", "{nb} Library and Community Hub")},
    "church": {
        "names": (
            "St {saint}'s Church Hall",
            "{nb} Methodist Church",
            "{nb} Baptist Church Hall",
            "{nb} United Reformed Church",
        )
    },
    "leisure_centre": {"names": ("{nb} Leisure Centre", "{nb} Sports Centre")},
    "hub": {"names": ("{nb} Health and Wellbeing Hub", "{nb} Community Health Centre")},
    "family_hub": {"names": ("{nb} Family Hub", "{nb} Children's Centre")},
    "cafe": {"names": ("{nb} Community Café", "The Hive Café, {nb}", "The Corner House Café, {nb}")},
    "allotment": {"names": ("{nb} Allotments", "{nb} Community Orchard")},
    "green": {"names": ("{green}",)},
}

STREETS = (
    "Church Road", "High Street", "Station Road", "Victoria Road", "Park Lane", "Mill Lane", "School Lane",
    "North Road", "Queen's Road", "King Street", "Market Street", "Chapel Street", "Green Lane",
    "Manor Road", "Albert Road", "The Broadway", "Springfield Road", "Meadow Way", "Elm Grove",
    "Beech Avenue", "Grange Road", "Moor Lane", "Cross Street", "Westfield Road", "Bridge Street",
)
SAINTS = (
    "Mary", "John", "Peter", "Paul", "Andrew", "Michael", "George", "Luke", "Mark", "James", "Aldhelm", "Wilfrid",
    "Chad", "Anne",
)
BUS_ROUTES = {
    "dorset": ("1", "1a", "2", "3", "4", "5", "6", "8", "9", "10", "13", "17", "18", "20", "33", "X8", "X54", "40"),
    "halton": ("61", "62", "200", "X1", "17", "79C", "82A", "110"),
    "leeds": ("1", "2", "3", "4F", "5", "6", "7", "9", "12", "16", "19", "40", "42", "49", "50", "56", "61", "64"),
}
ACCESSIBILITY_NOTES = (
    "Level access from the car park. Accessible toilet on the ground floor.",
    "Ramp at the side entrance; ring the bell and someone will come to the door.",
    "The hall is on the ground floor. There are two steps at the main door and a portable ramp.",
    "Lift to all floors. Seating available throughout.",
    "Quiet room available if you need a break.",
    "Blue badge parking right outside the entrance.",
    "The path is gravel in places; ask us about the easiest route in.",
)
GREEN_ACCESS_NOTES = (
    "Paths are mostly level and tarmac. Toilets in the café by the main gate.",
    "Some paths are uneven and muddy after rain. Benches along the way.",
    "Meet by the main gate noticeboard. The nearest accessible toilet is in the café.",
)

FIRST_NAMES = (
    "Sarah", "James", "Aisha", "David", "Emma", "Mohammed", "Claire", "Paul", "Priya", "Gary", "Joanne", "Tom",
    "Fatima", "Kevin", "Rachel", "Imran", "Helen", "Stuart", "Nadia", "Mark", "Sophie", "Andrew", "Grace",
    "Tariq", "Karen", "Olu", "Lucy", "Dariusz", "Megan", "Colin", "Jasmine", "Ian", "Zainab", "Rob", "Kate",
)
LAST_NAMES = (
    "Smith", "Jones", "Khan", "Taylor", "Brown", "Hussain", "Wilson", "Evans", "Patel", "Walker", "Wright",
    "Robinson", "Thompson", "Ali", "Hughes", "Edwards", "Green", "Kowalski", "Hall", "Okafor", "Wood",
    "Clarke", "Begum", "Turner", "Campbell", "Lewis", "Parker", "Ahmed", "Mitchell", "Shaw", "Francis",
)

FIRST_VISIT = (
    "On your first visit, ask for {contact_first}, who will introduce you to everyone.",
    "You are welcome to bring a friend, family member or carer with you the first time.",
    "If you would like someone to meet you at the door on your first visit, let us know.",
    "Feeling nervous about coming? Ring {contact_first} beforehand for a chat about what to expect.",
    "There is no need to book your first visit: just come along.",
)
