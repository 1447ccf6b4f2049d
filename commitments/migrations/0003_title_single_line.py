import strategy.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('commitments', '0002_delivery_submission_key'),
    ]

    operations = [
        migrations.AlterField(
            model_name='commitment',
            name='title',
            field=models.CharField(max_length=300, validators=[strategy.validators.validate_single_line], verbose_name='intitulé'),
        ),
        migrations.AlterField(
            model_name='historicalcommitment',
            name='title',
            field=models.CharField(max_length=300, validators=[strategy.validators.validate_single_line], verbose_name='intitulé'),
        ),
    ]
